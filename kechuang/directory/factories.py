import factory
from factory import fuzzy

from kechuang.core.factories import RegionFactory
from kechuang.directory.models import (
    Achievement,
    Expert,
    ExpertWork,
    InnovationPlatform,
    Instrument,
    Organization,
    ServiceItem,
    Status,
)
from kechuang.directory.validators import credit_code_check_char, patent_check_digit


def make_credit_code(n: int) -> str:
    """A valid unified social credit code for sequence number ``n`` (enterprise, Ruian region code)."""
    body = f"91330381{n:09d}"
    return body + credit_code_check_char(body)


def make_patent_number(n: int) -> str:
    digits = f"20211{n:07d}"
    return f"ZL{digits}.{patent_check_digit(digits)}"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"瑞安测试机械有限公司{n}")
    credit_code = factory.Sequence(make_credit_code)
    kind = Organization.Kind.ENTERPRISE
    region = factory.SubFactory(RegionFactory)
    status = Status.PUBLISHED
    description = "主要从事汽车零部件的研发与制造。"


class ExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expert

    name = factory.Sequence(lambda n: f"专家{n}")
    title = "教授"
    affiliation = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.UNIVERSITY)
    region = factory.SelfAttribute("affiliation.region")
    status = Status.PUBLISHED
    keywords = factory.LazyFunction(lambda: ["电机控制", "新能源汽车"])
    profile = "长期从事新能源汽车电驱动系统研究。"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    email = factory.Sequence(lambda n: f"expert{n}@univ.example.cn")
    email_verified = True  # as if the region's operators entered it


class ExpertWorkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpertWork

    expert = factory.SubFactory(ExpertFactory)
    kind = ExpertWork.Kind.PAPER
    title = factory.Sequence(lambda n: f"永磁同步电机无传感器控制研究{n}")
    abstract = "提出了一种基于滑模观测器的永磁同步电机无位置传感器控制方法。"
    year = 2022


class AchievementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Achievement

    title = factory.Sequence(lambda n: f"一种集成式电控气源装置{n}")
    kind = Achievement.Kind.INVENTION_PATENT
    patent_number = factory.Sequence(make_patent_number)
    owner = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.UNIVERSITY)
    region = factory.SelfAttribute("owner.region")
    status = Status.PUBLISHED
    description = "该装置将空压机、干燥器与电控阀集成为一体,适用于新能源商用车。"
    asking_price = fuzzy.FuzzyDecimal(10000, 500000, precision=2)


class InstrumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instrument

    name = factory.Sequence(lambda n: f"扫描电子显微镜{n}")
    asset_code = factory.Sequence(lambda n: f"YQ-TEST-{n:06d}")
    owner = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.TESTING)
    region = factory.SelfAttribute("owner.region")
    status = Status.PUBLISHED
    category = Instrument.Category.ANALYTICAL
    model_number = "SU8010"
    internal_rate = 200
    external_rate = 400


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem

    title = factory.Sequence(lambda n: f"材料成分检测服务{n}")
    provider = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.TESTING)
    region = factory.SelfAttribute("provider.region")
    status = Status.PUBLISHED
    category = ServiceItem.Category.TESTING
    description = "提供金属材料化学成分与力学性能检测。"
    price = 800


class InnovationPlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InnovationPlatform

    name = factory.Sequence(lambda n: f"汽车零部件工程技术研究中心{n}")
    kind = InnovationPlatform.Kind.ENGINEERING
    level = InnovationPlatform.Level.PROVINCIAL
    host = factory.SubFactory(OrganizationFactory)
    region = factory.SelfAttribute("host.region")
    status = Status.PUBLISHED

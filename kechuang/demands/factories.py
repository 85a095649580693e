import factory
from django.utils import timezone

from kechuang.demands.models import Demand, Engagement, MatchType
from kechuang.directory.factories import ExpertFactory, OrganizationFactory


class DemandFactory(factory.django.DjangoModelFactory):
    """A published public demand of a fresh enterprise unless told otherwise."""

    class Meta:
        model = Demand

    organization = factory.SubFactory(OrganizationFactory)
    region = factory.SelfAttribute("organization.region")
    title = factory.Sequence(lambda n: f"新能源汽车电驱动系统永磁同步电机控制技术需求{n}")
    description = "我公司需要永磁同步电机无传感器控制方案,用于新能源汽车电驱动系统,提升低速性能。"
    status = Demand.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    cooperation_modes = factory.LazyFunction(lambda: ["development"])
    contact_name = "王工"
    contact_phone = factory.Sequence(lambda n: f"0577-6{n:07d}")
    contact_email = factory.Sequence(lambda n: f"demand{n}@factory.example.cn")


class EngagementFactory(factory.django.DjangoModelFactory):
    """A requested engagement between a demand and an expert."""

    class Meta:
        model = Engagement

    demand = factory.SubFactory(DemandFactory)
    expert = factory.SubFactory(ExpertFactory)
    match_type = MatchType.EXPERT
    match_id = factory.SelfAttribute("expert.pk")
    match_label = factory.SelfAttribute("expert.name")
    status = Engagement.Status.REQUESTED
    requested_at = factory.LazyFunction(timezone.now)

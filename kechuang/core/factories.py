import factory

from kechuang.core.models import IndustryChain, Region, TechField


class RegionFactory(factory.django.DjangoModelFactory):
    """A district under a fresh city under a fresh province unless ``parent`` is given."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{900000 + n:06d}")
    name = factory.Sequence(lambda n: f"测试区{n}")
    level = Region.Level.DISTRICT
    parent = None


class IndustryChainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndustryChain
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"产业链{n}")
    slug = factory.Sequence(lambda n: f"chain-{n}")


class TechFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechField

    name = factory.Sequence(lambda n: f"领域{n}")

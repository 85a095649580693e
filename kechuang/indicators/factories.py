"""Factories of the indicators app: a city with two districts and operators, indicators and projects."""

import datetime

import factory

from kechuang.core.factories import RegionFactory
from kechuang.core.models import Region
from kechuang.indicators.models import Indicator, SignedProject, SigningEvent


class CityFactory(RegionFactory):
    level = Region.Level.CITY


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    region = factory.SubFactory(CityFactory)
    code = factory.Sequence(lambda n: f"ind-{n}")
    name = factory.Sequence(lambda n: f"测试指标{n}")
    unit = "家"


class SigningEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SigningEvent

    region = factory.SubFactory(CityFactory)
    name = "科技创新大会暨项目签约仪式"
    held_on = datetime.date(2026, 3, 18)


class SignedProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SignedProject

    event = factory.SubFactory(SigningEventFactory)
    name = factory.Sequence(lambda n: f"新能源汽车零部件项目{n}")
    kind = SignedProject.Kind.INDUSTRIAL
    parties = "瑞安市人民政府、某汽车电子有限公司"
    region = factory.LazyAttribute(lambda p: p.event.region)

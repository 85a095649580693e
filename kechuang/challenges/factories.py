import datetime
from decimal import Decimal

import factory

from kechuang.accounts.factories import MembershipFactory, OperatorMandateFactory, UserFactory
from kechuang.challenges.models import Challenge, ChallengeList, Indicator, RubricCriterion
from kechuang.challenges.services import DEFAULT_RUBRIC
from kechuang.core.factories import RegionFactory
from kechuang.directory.factories import OrganizationFactory


class ChallengeListFactory(factory.django.DjangoModelFactory):
    """A draft list with the default rubric; its window is the whole of March 2026 (Shanghai time)."""

    class Meta:
        model = ChallengeList
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"2026年度关键核心技术攻关榜单{n}")
    region = factory.SubFactory(RegionFactory)
    issuer = "瑞安市科学技术局"
    opens_on = datetime.date(2026, 3, 1)
    closes_on = datetime.date(2026, 3, 31)

    @factory.post_generation
    def rubric(obj, create, extracted, **kwargs):
        if create:
            for order, (name, weight) in enumerate(DEFAULT_RUBRIC):
                RubricCriterion.objects.create(
                    challenge_list=obj, name=name, weight=weight, order=order
                )


class ChallengeFactory(factory.django.DjangoModelFactory):
    """A task proposed in the list's region with one indicator; bounty 5,000,000.00 = 2 M issuer + 3 M
    government."""

    class Meta:
        model = Challenge
        skip_postgeneration_save = True

    challenge_list = None
    region = factory.LazyAttribute(
        lambda o: o.challenge_list.region if o.challenge_list else RegionFactory()
    )
    title = factory.Sequence(lambda n: f"新能源车用集成式电控气源装置{n}")
    problem = "将空压机、干燥器、电控阀集成,降低能耗与噪声。"
    bounty = Decimal("5000000.00")
    issuer_share = Decimal("2000000.00")
    government_share = Decimal("3000000.00")
    completion_deadline = datetime.date(2028, 12, 31)
    status = Challenge.Status.PROPOSED

    @factory.post_generation
    def indicators(obj, create, extracted, **kwargs):
        if create:
            Indicator.objects.create(
                challenge=obj, name="排气量", target=Decimal("300"), unit="L/min", order=0
            )


def operator_for(region):
    """A user operating ``region``."""
    return OperatorMandateFactory(region=region).user


def member_of(organization):
    """A user acting for ``organization``."""
    return MembershipFactory(organization=organization, user=UserFactory()).user


def organization_in(region, **kwargs):
    return OrganizationFactory(region=region, **kwargs)

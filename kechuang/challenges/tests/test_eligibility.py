"""Structured eligibility (kind, region, enterprise tier, credit code): each broken rule refuses an
application with its own reason; the free-text remark is never checked by the platform."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kechuang.challenges import services
from kechuang.challenges.models import Application, Challenge
from kechuang.challenges.tests.conftest import DURING, publish
from kechuang.core.models import Region
from kechuang.directory.models import Organization

# Unsaved rows are enough for the rules, which read only the objects they are given.
REGIONS = [
    Region(pk=1, code="330000", name="浙江省", path="330000/"),
    Region(pk=2, code="330300", name="温州市", path="330000/330300/"),
    Region(pk=3, code="330381", name="瑞安市", path="330000/330300/330381/"),
    Region(pk=4, code="310114", name="嘉定区", path="310000/310100/310114/"),
]
TIERS = list(Organization.Tier.values)

organizations = st.builds(
    lambda kind, tier, code, region: Organization(
        name="申报单位", kind=kind, tier=tier, credit_code=code, region=region
    ),
    st.sampled_from(Organization.Kind.values),
    st.sampled_from(TIERS),
    st.sampled_from([None, "", "91330381MA2AXXXX0X"]),
    st.sampled_from(REGIONS),
)
rules = st.fixed_dictionaries(
    {
        "eligible_kinds": st.lists(
            st.sampled_from(Organization.Kind.values), unique=True, max_size=3
        ),
        "eligible_region": st.sampled_from([None, *REGIONS]),
        "min_tier": st.sampled_from(TIERS),
        "credit_code_required": st.booleans(),
    }
)
NO_RULE = {
    "eligible_kinds": [],
    "eligible_region": None,
    "min_tier": "",
    "credit_code_required": False,
}


def problems(rule_values: dict, organization: Organization, *, lead: bool = True) -> list[str]:
    return services.eligibility_problems(Challenge(**rule_values), organization, lead=lead)


@given(rules, organizations)
def test_each_broken_rule_gives_its_own_reason_and_nothing_else_does(rule_values, organization):
    together = problems(rule_values, organization)
    one_by_one = [
        reason
        for name, value in rule_values.items()
        for reason in problems({**NO_RULE, name: value}, organization)
    ]
    assert sorted(together) == sorted(one_by_one)
    assert problems(NO_RULE, organization) == []


@given(rules, organizations)
def test_a_higher_tier_never_makes_an_eligible_lead_ineligible(rule_values, organization):
    if problems(rule_values, organization):
        return
    for tier in TIERS[TIERS.index(organization.tier) :]:
        organization.tier = tier
        assert problems(rule_values, organization) == []


@given(rules, organizations)
def test_members_are_held_only_to_the_credit_code(rule_values, organization):
    expected = (
        [f"{organization.name} 没有统一社会信用代码"]
        if rule_values["credit_code_required"] and not organization.credit_code
        else []
    )
    assert problems(rule_values, organization, lead=False) == expected


def test_tier_applies_to_enterprise_leads_only():
    rule_values = {**NO_RULE, "min_tier": Organization.Tier.HIGH_TECH}
    sme = Organization(name="甲", kind="enterprise", tier="tech_sme", region=REGIONS[2])
    university = Organization(name="乙", kind="university", tier="", region=REGIONS[2])
    assert problems(rule_values, sme) == ["牵头企业须为“高新技术企业”及以上"]
    assert problems(rule_values, university) == []


@pytest.mark.django_db
def test_start_refused_with_the_reasons_and_nothing_created(world):
    Challenge.objects.filter(pk=world.challenge.pk).update(
        min_tier=Organization.Tier.HIGH_TECH, credit_code_required=True
    )
    publish(world)
    enterprise = world.orgs["enterprise"]
    Organization.objects.filter(pk=enterprise.pk).update(tier="tech_sme", credit_code=None)
    enterprise.refresh_from_db()
    count = Application.objects.count()
    with pytest.raises(services.Refused) as refused:
        services.start_application(
            world.users["enterprise"], world.challenge, enterprise, now=DURING
        )
    assert str(refused.value) == (
        "牵头企业须为“高新技术企业”及以上；瑞安enterprise单位 没有统一社会信用代码"
    )
    assert Application.objects.count() == count
    # A university (not tiered) with a credit code may lead.
    services.start_application(
        world.users["university"], world.challenge, world.orgs["university"], now=DURING
    )
    assert Application.objects.count() == count + 1


@pytest.mark.django_db
def test_member_without_credit_code_refused_and_submission_rechecks(world):
    publish(world)
    lead_user = world.users["university"]
    application = services.start_application(
        lead_user, world.challenge, world.orgs["university"], mode="consortium", now=DURING
    )
    institute = world.orgs["institute"]
    Organization.objects.filter(pk=institute.pk).update(credit_code=None)
    institute.refresh_from_db()
    services.save_member(
        lead_user, application, institute, work_share=Decimal(40), budget_share=Decimal(0)
    )
    # The rule applies from now on: the member already in is caught at submission, a new one at once.
    Challenge.objects.filter(pk=world.challenge.pk).update(credit_code_required=True)
    application = Application.objects.get(pk=application.pk)
    assert "瑞安institute单位 没有统一社会信用代码" in services.submission_problems(application)
    Organization.objects.filter(pk=world.orgs["enterprise"].pk).update(credit_code="")
    world.orgs["enterprise"].refresh_from_db()
    with pytest.raises(services.Refused, match="瑞安enterprise单位 没有统一社会信用代码"):
        services.save_member(
            lead_user,
            application,
            world.orgs["enterprise"],
            work_share=Decimal(10),
            budget_share=Decimal(0),
        )
    assert application.members.count() == 2


@pytest.mark.django_db
def test_proposal_refuses_an_unknown_tier(world):
    count = Challenge.objects.count()
    with pytest.raises(services.Refused, match="培育梯次无效"):
        services.propose_challenge(
            world.operator,
            region=world.region,
            title="x",
            problem="y",
            bounty=Decimal(100),
            issuer_share=Decimal(0),
            government_share=Decimal(100),
            completion_deadline=DURING.date(),
            indicators=[{"name": "a", "target": 1, "unit": "个"}],
            min_tier="gold",
        )
    assert Challenge.objects.count() == count

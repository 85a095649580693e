"""Every transition of the cycle, and the forbidden ones refused with nothing changed."""

import datetime
from decimal import Decimal

import pytest

from kechuang.challenges import services
from kechuang.challenges.factories import ChallengeFactory, ChallengeListFactory, member_of
from kechuang.challenges.models import (
    SHANGHAI,
    Agreement,
    Application,
    Challenge,
    ChallengeList,
    Milestone,
    Objection,
    ReviewRound,
    Tranche,
)
from kechuang.challenges.tests.conftest import (
    AFTER,
    ANNOUNCED,
    DURING,
    OBJECTIONS_OVER,
    all_score,
    announced,
    assert_refused,
    complete_alone,
    contracted,
    first_round,
    publish,
    two_submitted,
    under_review,
)
from kechuang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


# --- tasks and lists ------------------------------------------------------------------------------


def test_propose_by_member_then_accept_and_reject(world):
    user = world.users["enterprise"]
    challenge = services.propose_challenge(
        user,
        region=world.region,
        proposer=world.orgs["enterprise"],
        title="高分子材料阻燃改性",
        problem="阻燃等级不足",
        bounty=Decimal("3000000"),
        issuer_share=Decimal("1000000"),
        government_share=Decimal("2000000"),
        completion_deadline=datetime.date(2028, 1, 1),
        indicators=[{"name": "氧指数", "target": "32", "unit": "%"}],
        eligible_kinds=["university", "enterprise"],
    )
    assert challenge.status == Challenge.Status.PROPOSED
    assert challenge.indicators.get().unit == "%"
    other = ChallengeFactory(region=world.region)
    services.reject_challenge(world.operator, other, note="与已有任务重复")
    services.accept_challenge(world.operator, challenge, world.challenge_list)
    challenge.refresh_from_db()
    other.refresh_from_db()
    assert (challenge.status, challenge.challenge_list) == ("accepted", world.challenge_list)
    assert (other.status, other.review_note) == ("rejected", "与已有任务重复")


def test_proposal_refused_when_shares_do_not_add_up_or_no_indicator(world):
    base = dict(
        region=world.region,
        title="x",
        problem="y",
        bounty=Decimal("100"),
        completion_deadline=datetime.date(2028, 1, 1),
    )
    count = Challenge.objects.count()
    with pytest.raises(services.Refused):
        services.propose_challenge(
            world.operator,
            **base,
            issuer_share=Decimal(50),
            government_share=Decimal(49),
            indicators=[{"name": "a", "target": 1, "unit": "个"}],
        )
    with pytest.raises(services.Refused):
        services.propose_challenge(
            world.operator,
            **base,
            issuer_share=Decimal(50),
            government_share=Decimal(50),
            indicators=[],
        )
    assert Challenge.objects.count() == count


def test_proposal_refused_for_outsider(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.propose_challenge(
            world.users["enterprise"],
            region=world.region,
            proposer=world.orgs["university"],
            title="x",
            problem="y",
            bounty=Decimal(1),
            issuer_share=Decimal(1),
            government_share=Decimal(0),
            completion_deadline=datetime.date(2028, 1, 1),
            indicators=[{"name": "a", "target": 1, "unit": "个"}],
        )


def test_forbidden_task_transitions(world):
    accepted = world.challenge
    assert_refused(
        lambda: services.accept_challenge(world.operator, accepted, world.challenge_list),
        accepted,
    )
    assert_refused(lambda: services.reject_challenge(world.operator, accepted, note="n"), accepted)
    rejected = ChallengeFactory(region=world.region)
    services.reject_challenge(world.operator, rejected, note="n")
    assert_refused(
        lambda: services.accept_challenge(world.operator, rejected, world.challenge_list),
        rejected,
    )
    # A task cannot join a list once it is published, nor be accepted by an outsider.
    proposed = ChallengeFactory(region=world.region)
    assert_refused(
        lambda: services.accept_challenge(
            world.users["enterprise"], proposed, world.challenge_list
        ),
        proposed,
    )
    publish(world)
    assert_refused(
        lambda: services.accept_challenge(world.operator, proposed, world.challenge_list),
        proposed,
        world.challenge_list,
    )


def test_list_lifecycle_draft_published_closed(world):
    publish(world)
    assert world.challenge_list.status == ChallengeList.Status.PUBLISHED
    assert world.challenge_list.published_at == DURING
    services.close_list(world.operator, world.challenge_list, now=AFTER)
    world.refresh()
    assert world.challenge_list.status == ChallengeList.Status.CLOSED


def test_forbidden_list_transitions(world):
    lst = world.challenge_list
    empty = ChallengeListFactory(region=world.region)
    assert_refused(lambda: services.publish_list(world.operator, empty, now=DURING), empty)
    late = datetime.datetime(2026, 4, 1, 0, 0, tzinfo=SHANGHAI)
    assert_refused(lambda: services.publish_list(world.operator, lst, now=late), lst)
    assert_refused(lambda: services.publish_list(world.users["enterprise"], lst, now=DURING), lst)
    assert_refused(lambda: services.close_list(world.operator, lst, now=AFTER), lst)
    assert_refused(lambda: services.start_review(world.operator, lst), lst)
    assert_refused(lambda: services.announce_list(world.operator, lst, now=AFTER), lst)
    publish(world)
    assert_refused(lambda: services.publish_list(world.operator, lst, now=DURING), lst)
    # The window is still open at 23:59:59 on the closing day.
    last_second = datetime.datetime(2026, 3, 31, 23, 59, 59, tzinfo=SHANGHAI)
    assert_refused(lambda: services.close_list(world.operator, lst, now=last_second), lst)
    assert_refused(lambda: services.conclude_list(world.operator, lst, now=AFTER), lst)


# --- applications ---------------------------------------------------------------------------------


def test_one_application_per_organisation_per_task(world):
    publish(world)
    complete_alone(world, "enterprise")
    count = Application.objects.count()
    with pytest.raises(services.Refused):
        services.start_application(
            world.users["enterprise"], world.challenge, world.orgs["enterprise"], now=DURING
        )
    # Nor may it join another organisation's application for the same task.
    other = services.start_application(
        world.users["university"],
        world.challenge,
        world.orgs["university"],
        mode="consortium",
        now=DURING,
    )
    with pytest.raises(services.Refused):
        services.save_member(
            world.users["university"],
            other,
            world.orgs["enterprise"],
            work_share=Decimal(10),
            budget_share=Decimal(0),
        )
    assert Application.objects.count() == count + 1
    assert other.members.count() == 1


def test_submission_needs_every_member_confirmed_and_shares_adding_up(world):
    publish(world)
    lead_user = world.users["university"]
    application = services.start_application(
        lead_user, world.challenge, world.orgs["university"], mode="consortium", now=DURING
    )
    services.save_application(
        lead_user,
        application,
        technical_route="路线",
        budget_total=Decimal(100),
        declaration_accepted=True,
        team=[{"name": "甲"}],
        plan=[{"title": "一期", "months": 6}],
    )
    services.save_member(
        lead_user,
        application,
        world.orgs["university"],
        work_share=Decimal(60),
        budget_share=Decimal(60),
    )
    member = services.save_member(
        lead_user,
        application,
        world.orgs["institute"],
        work_share=Decimal(40),
        budget_share=Decimal(40),
    )
    application.refresh_from_db()
    problems = services.submission_problems(application)
    assert problems == ["还有成员单位未确认参与"]
    assert_refused(
        lambda: services.submit_application(lead_user, application, now=DURING), application
    )
    # Only the member organisation itself may confirm.
    assert_refused(lambda: services.confirm_participation(lead_user, member, now=DURING), member)
    services.confirm_participation(world.users["institute"], member, now=DURING)
    # Changing its terms asks for confirmation again.
    services.save_member(
        lead_user,
        application,
        world.orgs["institute"],
        work_share=Decimal(40),
        budget_share=Decimal(30),
    )
    assert set(services.submission_problems(application)) == {
        "还有成员单位未确认参与",
        "各单位预算份额之和必须等于总预算",
    }
    services.save_member(
        lead_user,
        application,
        world.orgs["institute"],
        work_share=Decimal(40),
        budget_share=Decimal(40),
    )
    services.confirm_participation(
        world.users["institute"],
        application.members.get(organization=world.orgs["institute"]),
        now=DURING,
    )
    services.submit_application(lead_user, application, now=DURING)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_eligibility_by_kind_and_region(world):
    challenge = world.challenge
    challenge.eligible_kinds = ["university", "institute"]
    challenge.save()
    assert services.eligibility_problems(challenge, world.orgs["enterprise"]) == [
        "牵头单位类型不在本任务的揭榜主体范围内"
    ]
    assert services.eligibility_problems(challenge, world.orgs["university"]) == []


def test_forbidden_application_transitions(world):
    publish(world)
    draft = complete_alone(world, "enterprise")
    user, op = world.users["enterprise"], world.operator
    assert_refused(lambda: services.formal_check(op, draft, passed=True), draft)
    assert_refused(lambda: services.select_application(op, draft), draft)
    assert_refused(
        lambda: services.submit_application(world.users["university"], draft, now=DURING), draft
    )
    services.submit_application(user, draft, now=DURING)
    assert_refused(lambda: services.submit_application(user, draft, now=DURING), draft)
    assert_refused(
        lambda: services.save_application(
            user, draft, technical_route="改", budget_total=Decimal(1), declaration_accepted=True
        ),
        draft,
    )
    # Formal check only once the window is closed, and a failure needs a reason.
    assert_refused(lambda: services.formal_check(op, draft, passed=True), draft)
    services.close_list(op, world.challenge_list, now=AFTER)
    assert_refused(lambda: services.formal_check(op, draft, passed=False, note=""), draft)
    services.formal_check(op, draft, passed=False, note="缺少承诺书盖章")
    draft.refresh_from_db()
    assert (draft.status, draft.formal_note) == ("formal_failed", "缺少承诺书盖章")
    assert_refused(lambda: services.formal_check(op, draft, passed=True), draft)


def test_start_review_waits_for_every_formal_check(world):
    two_submitted(world)
    services.close_list(world.operator, world.challenge_list, now=AFTER)
    services.formal_check(world.operator, world.applications["rnd"], passed=True)
    assert_refused(
        lambda: services.start_review(world.operator, world.challenge_list), world.challenge_list
    )
    services.formal_check(
        world.operator, world.applications["consortium"], passed=False, note="预算不符"
    )
    services.start_review(world.operator, world.challenge_list)
    world.refresh()
    assert world.challenge_list.status == "reviewing"
    assert world.applications["rnd"].status == "under_review"
    assert world.applications["consortium"].status == "formal_failed"
    assert list(first_round(world).applications.all()) == [world.applications["rnd"]]


# --- review, selection, announcement ---------------------------------------------------------------


def test_review_rounds_selection_and_second_round(world):
    under_review(world)
    review_round = first_round(world)
    seats = services.draw_panel(world.operator, review_round, size=2, seed=7, now=AFTER)
    assert len(seats) == 2
    assert_refused(lambda: services.unseal_round(world.operator, review_round), review_round)
    all_score(world, review_round)
    services.unseal_round(world.operator, review_round, now=AFTER)
    review_round.refresh_from_db()
    assert review_round.status == ReviewRound.Status.UNSEALED
    both = list(world.applications.values())
    final = services.start_final_round(world.operator, review_round, both)
    world.refresh()
    assert {a.status for a in world.applications.values()} == {"shortlisted"}
    # Selection waits for the final round to be unsealed.
    consortium = world.applications["consortium"]
    assert_refused(lambda: services.select_application(world.operator, consortium), consortium)
    services.draw_panel(world.operator, final, size=3, seed=3, now=AFTER)
    all_score(world, final)
    services.unseal_round(world.operator, final, now=AFTER)
    services.select_application(world.operator, consortium)
    other = world.applications["rnd"]
    assert_refused(lambda: services.select_application(world.operator, other), other)
    assert_refused(lambda: services.start_final_round(world.operator, final, [other]), final)
    services.announce_list(world.operator, world.challenge_list, now=ANNOUNCED)
    world.refresh()
    assert world.challenge_list.status == "announced"
    assert world.challenge_list.objection_ends_at == ANNOUNCED + datetime.timedelta(days=7)
    assert (consortium.status, other.status) == ("selected", "not_selected")


def test_announce_refused_while_a_round_is_sealed(world):
    under_review(world)
    services.draw_panel(world.operator, first_round(world), size=3, seed=1, now=AFTER)
    assert_refused(
        lambda: services.announce_list(world.operator, world.challenge_list, now=ANNOUNCED),
        world.challenge_list,
    )


def test_objection_upheld_revokes_selection_dismissed_keeps_it(world):
    announced(world)
    consortium = world.applications["consortium"]
    public = member_of(world.orgs["enterprise"])
    first = services.file_objection(public, consortium, text="团队成员资质存疑", now=ANNOUNCED)
    assert_refused(
        lambda: services.sign_agreement(
            world.operator,
            consortium,
            first_tranche=Decimal("3000000"),
            milestones=[{"title": "m", "due_on": datetime.date(2027, 1, 1)}],
            now=OBJECTIONS_OVER,
        ),
        consortium,
    )
    assert_refused(
        lambda: services.conclude_list(world.operator, world.challenge_list, now=OBJECTIONS_OVER),
        world.challenge_list,
    )
    services.resolve_objection(world.operator, first, upheld=False, resolution="经核实资质齐全")
    second = services.file_objection(public, consortium, text="预算虚高", now=ANNOUNCED)
    # Objections are refused once the period is over.
    count = Objection.objects.count()
    with pytest.raises(services.Refused):
        services.file_objection(public, consortium, text="迟到", now=OBJECTIONS_OVER)
    assert Objection.objects.count() == count
    assert_refused(
        lambda: services.resolve_objection(world.operator, first, upheld=True, resolution="再议"),
        first,
    )
    services.resolve_objection(world.operator, second, upheld=True, resolution="预算确有问题")
    consortium.refresh_from_db()
    assert consortium.status == "not_selected"
    services.conclude_list(world.operator, world.challenge_list, now=OBJECTIONS_OVER)
    world.refresh()
    assert world.challenge_list.status == "concluded"


# --- agreement, milestones, tranches --------------------------------------------------------------


def test_signing_releases_first_tranche_and_contracts(world):
    agreement = contracted(world)
    world.refresh()
    assert world.applications["consortium"].status == Application.Status.CONTRACTED
    assert (agreement.committed_total, agreement.released_total) == (
        Decimal("5000000.00"),
        Decimal("3000000.00"),
    )
    assert [t.status for t in agreement.tranches.order_by("pk")] == [
        "released",
        "planned",
        "planned",
    ]
    services.conclude_list(world.operator, world.challenge_list, now=OBJECTIONS_OVER)
    world.refresh()
    assert world.challenge_list.status == "concluded"


def test_signing_refused_before_objection_period_ends_or_below_first_share(world):
    announced(world)
    consortium = world.applications["consortium"]
    ms = [{"title": "m", "due_on": datetime.date(2027, 1, 1), "amount": "1000000"}]
    sign = services.sign_agreement
    assert_refused(
        lambda: sign(
            world.operator,
            consortium,
            first_tranche=Decimal("3000000"),
            milestones=ms,
            now=OBJECTIONS_OVER - datetime.timedelta(seconds=1),
        ),
        consortium,
    )
    # 60 % of 5,000,000 is 3,000,000: one fen less is refused.
    assert_refused(
        lambda: sign(
            world.operator,
            consortium,
            first_tranche=Decimal("2999999.99"),
            milestones=ms,
            now=OBJECTIONS_OVER,
        ),
        consortium,
    )
    # Tranches beyond the bounty are refused as a whole.
    too_much = [{"title": "m", "due_on": datetime.date(2027, 1, 1), "amount": "2000000.01"}]
    assert_refused(
        lambda: sign(
            world.operator,
            consortium,
            first_tranche=Decimal("3000000"),
            milestones=too_much,
            now=OBJECTIONS_OVER,
        ),
        consortium,
    )
    assert not Agreement.objects.exists()
    assert not Tranche.objects.exists()


def test_first_tranche_share_is_configurable_per_list(world):
    world.challenge_list.first_tranche_min_percent = Decimal(30)
    world.challenge_list.save()
    announced(world)
    agreement = services.sign_agreement(
        world.operator,
        world.applications["consortium"],
        first_tranche=Decimal("1500000"),
        milestones=[{"title": "m", "due_on": datetime.date(2027, 1, 1), "amount": "3500000"}],
        now=OBJECTIONS_OVER,
    )
    assert agreement.released_total == Decimal("1500000.00")


def test_milestone_evidence_acceptance_and_tranche_release(world):
    agreement = contracted(world)
    lead_user, op = world.users["university"], world.operator
    first = agreement.milestones.get(order=1)
    tranche = first.tranche
    assert_refused(lambda: services.release_tranche(op, tranche), tranche, agreement)
    assert_refused(lambda: services.review_milestone(op, first, accepted=True), first)
    assert_refused(
        lambda: services.submit_milestone(world.users["rnd"], first, evidence="x"), first
    )
    services.submit_milestone(lead_user, first, evidence="台架试验报告编号 TJ-2027-01")
    assert_refused(lambda: services.submit_milestone(lead_user, first, evidence="again"), first)
    assert_refused(lambda: services.review_milestone(op, first, accepted=False, note=""), first)
    services.review_milestone(op, first, accepted=False, note="缺少第三方检测报告")
    first.refresh_from_db()
    assert first.status == Milestone.Status.RETURNED
    assert_refused(lambda: services.release_tranche(op, tranche), tranche, agreement)
    services.submit_milestone(lead_user, first, evidence="补充第三方检测报告")
    services.review_milestone(op, first, accepted=True)
    assert_refused(lambda: services.release_tranche(lead_user, tranche), tranche, agreement)
    services.release_tranche(op, tranche)
    agreement.refresh_from_db()
    assert agreement.released_total == Decimal("4000000.00")
    assert_refused(lambda: services.release_tranche(op, tranche), tranche, agreement)
    signing = agreement.tranches.get(milestone=None)
    assert_refused(lambda: services.release_tranche(op, signing), signing, agreement)


def test_one_extension_per_agreement(world):
    agreement = contracted(world)
    first, second = agreement.milestones.order_by("order")
    assert_refused(
        lambda: services.extend_milestone(world.operator, first, due_on=first.due_on), first
    )
    services.extend_milestone(world.operator, first, due_on=datetime.date(2027, 9, 30))
    first.refresh_from_db()
    assert (first.due_on, first.extended_from) == (
        datetime.date(2027, 9, 30),
        datetime.date(2027, 6, 30),
    )
    assert_refused(
        lambda: services.extend_milestone(
            world.operator, second, due_on=datetime.date(2028, 9, 30)
        ),
        second,
        agreement,
    )


def _finish_milestones(world, agreement):
    for milestone in agreement.milestones.all():
        services.submit_milestone(world.users["university"], milestone, evidence="完成")
        services.review_milestone(world.operator, milestone, accepted=True)


def test_final_acceptance_per_indicator(world):
    agreement = contracted(world)
    indicator = world.challenge.indicators.get()
    assert_refused(
        lambda: services.accept_final(
            world.operator, agreement, measured={indicator.pk: Decimal(320)}
        ),
        agreement,
    )
    _finish_milestones(world, agreement)
    assert_refused(lambda: services.accept_final(world.operator, agreement, measured={}), agreement)
    services.accept_final(world.operator, agreement, measured={indicator.pk: Decimal(320)})
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACCEPTED
    assert list(Challenge.objects.solved()) == [world.challenge]
    result = agreement.indicator_results.get()
    assert (result.measured, result.met) == (Decimal("320.0000"), True)
    assert_refused(
        lambda: services.accept_final(
            world.operator, agreement, measured={indicator.pk: Decimal(1)}
        ),
        agreement,
    )


def test_final_acceptance_fails_when_an_indicator_is_missed(world):
    agreement = contracted(world)
    _finish_milestones(world, agreement)
    indicator = world.challenge.indicators.get()
    services.accept_final(world.operator, agreement, measured={indicator.pk: Decimal("299.9")})
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.FAILED
    assert not Challenge.objects.solved().exists()
    assert_refused(
        lambda: services.add_tranche(
            world.operator, agreement, agreement.milestones.first(), Decimal(1)
        ),
        agreement,
    )


def test_every_transition_is_audited(world):
    contracted(world)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "challenges.challenge.accept",
        "challenges.list.publish",
        "challenges.application.submit",
        "challenges.application.formal",
        "challenges.round.draw_panel",
        "challenges.score.submit",
        "challenges.round.unseal",
        "challenges.application.select",
        "challenges.list.announce",
        "challenges.agreement.sign",
    } <= actions


def test_forbidden_review_transitions(world):
    under_review(world)
    review_round = first_round(world)
    op = world.operator
    consortium, other = world.applications["consortium"], world.applications["rnd"]
    assert_refused(lambda: services.unseal_round(op, review_round), review_round)
    assert_refused(
        lambda: services.draw_panel(world.users["university"], review_round, size=3),
        review_round,
    )
    services.draw_panel(op, review_round, size=3, seed=1, now=AFTER)
    assert_refused(lambda: services.draw_panel(op, review_round, size=3), review_round)
    seat = review_round.seats.first()
    criteria = list(world.challenge_list.criteria.all())
    marks = {c.pk: Decimal(80) for c in criteria}
    # Only the seat's own expert scores, every criterion, within 0–100, once.
    assert_refused(
        lambda: services.submit_score(op, seat, consortium, marks=marks), seat, review_round
    )
    assert_refused(
        lambda: services.submit_score(
            seat.expert.user, seat, consortium, marks={criteria[0].pk: Decimal(80)}
        ),
        seat,
    )
    assert_refused(
        lambda: services.submit_score(
            seat.expert.user, seat, consortium, marks={c.pk: Decimal(101) for c in criteria}
        ),
        seat,
    )
    score = services.submit_score(seat.expert.user, seat, consortium, marks=marks)
    assert score.total == Decimal("80.00")
    assert_refused(
        lambda: services.submit_score(seat.expert.user, seat, consortium, marks=marks), score
    )
    assert_refused(
        lambda: services.declare_conflict(seat.expert.user, seat, detail="迟到的回避"), seat
    )
    all_score_rest = [
        (s, a)
        for s in review_round.seats.all()
        for a in review_round.applications.all()
        if not (s.pk == seat.pk and a.pk == consortium.pk)
    ]
    for s, a in all_score_rest:
        services.submit_score(s.expert.user, s, a, marks=marks)
    services.unseal_round(op, review_round)
    assert_refused(lambda: services.unseal_round(op, review_round), review_round)
    assert_refused(
        lambda: services.submit_score(seat.expert.user, seat, other, marks=marks), review_round
    )
    assert_refused(lambda: services.start_final_round(op, review_round, []), review_round)
    services.select_application(op, consortium)
    services.announce_list(op, world.challenge_list, now=ANNOUNCED)
    other.refresh_from_db()
    assert_refused(
        lambda: services.file_objection(world.users["enterprise"], other, text="x", now=ANNOUNCED),
        other,
    )
    assert_refused(lambda: services.select_application(op, other), other)
    assert_refused(
        lambda: services.announce_list(op, world.challenge_list, now=ANNOUNCED),
        world.challenge_list,
    )


def test_weighted_total_follows_the_rubric(world):
    under_review(world)
    review_round = first_round(world)
    services.draw_panel(world.operator, review_round, size=1, seed=1, now=AFTER)
    seat = review_round.seats.get()
    # Weights 30/25/25/20 on marks 100/80/60/50 → 30 + 20 + 15 + 10 = 75.
    criteria = list(world.challenge_list.criteria.order_by("order"))
    marks = dict(zip([c.pk for c in criteria], [100, 80, 60, 50], strict=True))
    score = services.submit_score(
        seat.expert.user, seat, world.applications["consortium"], marks=marks
    )
    assert score.total == Decimal("75.00")


def test_panel_drawn_by_a_chosen_field_includes_its_disciplines(world):
    from kechuang.accounts.factories import UserFactory
    from kechuang.core.factories import TechFieldFactory
    from kechuang.directory.factories import ExpertFactory

    under_review(world)
    engineering = TechFieldFactory(name="工学")
    mechanical = TechFieldFactory(name="机械工程", parent=engineering)
    expert = ExpertFactory(region=world.region, user=UserFactory())
    expert.fields.add(mechanical)
    ExpertFactory(region=world.region, user=None).fields.add(mechanical)  # cannot sign in to score
    seats = services.draw_panel(
        world.operator, first_round(world), size=5, field_ids=[engineering.pk], now=AFTER
    )
    assert [s.expert for s in seats] == [expert]

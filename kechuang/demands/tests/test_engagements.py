"""The engagement lifecycle: every transition, every forbidden one, expiry and the race with expiry."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection, connections

from kechuang.accounts.factories import MembershipFactory
from kechuang.core import clock
from kechuang.core.models import AuditEntry
from kechuang.demands import services
from kechuang.demands.factories import EngagementFactory
from kechuang.demands.models import Demand, Engagement, EngagementEvent
from kechuang.directory.factories import AchievementFactory, OrganizationFactory
from kechuang.notifications.models import Notification

S = Engagement.Status
MEETING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_enterprise_requests_an_expert(world, published_demand, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        engagement = services.request_engagement(
            world.owner, published_demand, "expert", world.expert.pk, "想请教无传感器控制"
        )
    assert engagement.status == S.REQUESTED
    assert engagement.expert == world.expert and engagement.provider is None
    assert engagement.pushed_by is None
    assert list(engagement.events.values_list("status", flat=True)) == [S.REQUESTED]
    note = Notification.objects.get(recipient=world.expert_user)
    assert (
        note.event == "demands.engagement.requested" and note.url == engagement.get_absolute_url()
    )


def test_request_for_an_achievement_goes_to_its_owner(world, published_demand):
    university = OrganizationFactory(kind="university", region=world.city)
    member = MembershipFactory(organization=university).user
    achievement = AchievementFactory(owner=university)

    engagement = services.request_engagement(
        world.owner, published_demand, "achievement", achievement.pk
    )

    assert engagement.provider == university and engagement.expert is None
    assert engagement.is_supplier(member) and not engagement.is_supplier(world.expert_user)


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("outsider", PermissionDenied),
        ("expert_user", PermissionDenied),
        ("operator", PermissionDenied),
    ],
)
def test_only_the_enterprise_requests(world, published_demand, who, error):
    with pytest.raises(error):
        services.request_engagement(
            getattr(world, who), published_demand, "expert", world.expert.pk
        )
    assert Engagement.objects.count() == 0


def test_refused_requests(world, published_demand):
    own = AchievementFactory(owner=world.enterprise)
    unpublished = AchievementFactory(status="draft")
    cases = [
        ("achievement", own.pk),  # the enterprise's own record
        ("achievement", unpublished.pk),
        ("expert", 999999),
        ("platform", 1),
    ]
    for match_type, match_id in cases:
        with pytest.raises(services.Refused):
            services.request_engagement(world.owner, published_demand, match_type, match_id)
    services.request_engagement(world.owner, published_demand, "expert", world.expert.pk)
    with pytest.raises(services.Refused):  # a second open request for the same match
        services.request_engagement(world.owner, published_demand, "expert", world.expert.pk)
    assert Engagement.objects.count() == 1


@pytest.mark.parametrize(
    "status", [Demand.Status.DRAFT, Demand.Status.PENDING, Demand.Status.CLOSED]
)
def test_no_request_on_an_unpublished_demand(world, published_demand, status):
    Demand.objects.filter(pk=published_demand.pk).update(status=status)
    with pytest.raises(services.Refused):
        services.request_engagement(world.owner, published_demand, "expert", world.expert.pk)
    assert Engagement.objects.count() == 0


def test_operator_pushes_to_both_sides(world, published_demand, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        engagement = services.push_match(
            world.operator, published_demand, "expert", world.expert.pk
        )
    assert engagement.pushed_by == world.operator
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "owner",
        "expert",
    }
    with pytest.raises(PermissionDenied):
        services.push_match(world.owner, published_demand, "expert", world.expert.pk)


def test_bulk_push_reports_each_item(world, published_demand):
    achievement = AchievementFactory(owner=OrganizationFactory(kind="university"))
    results = services.push_matches(
        world.operator,
        [
            (published_demand.pk, "expert", world.expert.pk),
            (published_demand.pk, "achievement", achievement.pk),
            (published_demand.pk, "expert", world.expert.pk),  # duplicate: refused alone
            (999999, "expert", world.expert.pk),
        ],
    )
    assert [bool(r.engagement) for r in results] == [True, True, False, False]
    assert results[2].error and results[3].error
    assert Engagement.objects.count() == 2


def test_pushing_a_restricted_demand_invites_the_expert(world, published_demand):
    Demand.objects.filter(pk=published_demand.pk).update(visibility="restricted")
    published_demand.refresh_from_db()
    assert not Demand.objects.visible_to(world.expert_user).filter(pk=published_demand.pk).exists()
    services.push_match(world.operator, published_demand, "expert", world.expert.pk)
    assert Demand.objects.visible_to(world.expert_user).filter(pk=published_demand.pk).exists()


def test_full_lifecycle_to_agreement(world, published_demand):
    e = services.request_engagement(world.owner, published_demand, "expert", world.expert.pk)
    e = services.accept_engagement(world.expert_user, e)
    assert e.status == S.ACCEPTED and e.accepted_at is not None
    e = services.schedule_meeting(world.owner, e, MEETING, place="瑞安市科技大厦 3 楼")
    assert e.status == S.MEETING_SCHEDULED and e.meeting_at == MEETING
    e = services.schedule_meeting(
        world.expert_user, e, MEETING + timedelta(days=1), link="https://meet.example.cn/x"
    )
    assert e.meeting_link == "https://meet.example.cn/x"
    e = services.record_meeting(world.operator, e, "双方确认技术路线", "王工、陈教授")
    assert e.status == S.MET and e.minutes == "双方确认技术路线"
    e = services.agree_cooperation(world.owner, e, "development", "350000.5")
    assert e.status == S.AGREED and e.amount == Decimal("350000.50")
    assert e.cooperation_mode == "development"
    statuses = list(EngagementEvent.objects.filter(engagement=e).values_list("status", flat=True))
    assert statuses == [
        S.REQUESTED,
        S.ACCEPTED,
        S.MEETING_SCHEDULED,
        S.MEETING_SCHEDULED,
        S.MET,
        S.AGREED,
    ]
    assert (
        AuditEntry.objects.filter(target_type="demands.engagement", target_id=str(e.pk)).count()
        == 6
    )


def test_decline_needs_a_reason(world, published_demand):
    e = services.request_engagement(world.owner, published_demand, "expert", world.expert.pk)
    with pytest.raises(services.Refused):
        services.decline_engagement(world.expert_user, e, " ")
    e = services.decline_engagement(world.expert_user, e, "档期已满")
    assert e.status == S.DECLINED and e.decline_reason == "档期已满" and e.accepted_at is None
    # a declined match may be requested again later
    again = services.request_engagement(world.owner, published_demand, "expert", world.expert.pk)
    assert again.status == S.REQUESTED


def test_only_the_supplier_answers(world, published_demand):
    e = services.request_engagement(world.owner, published_demand, "expert", world.expert.pk)
    for user in (world.owner, world.operator, world.outsider):
        with pytest.raises(PermissionDenied):
            services.accept_engagement(user, e)
        with pytest.raises(PermissionDenied):
            services.decline_engagement(user, e, "不合适")
    assert Engagement.objects.get(pk=e.pk).status == S.REQUESTED


def test_outsider_cannot_drive_an_engagement(world):
    e = EngagementFactory(status=S.MET, expert=world.expert, match_id=world.expert.pk)
    with pytest.raises(PermissionDenied):
        services.agree_cooperation(world.outsider, e, "development", 1)
    with pytest.raises(PermissionDenied):
        services.close_engagement(world.outsider, e, "x")
    with pytest.raises(PermissionDenied):
        services.post_message(world.outsider, e, "hello")
    assert Engagement.objects.get(pk=e.pk).status == S.MET


ACTIONS = {
    "accept": lambda w, e: services.accept_engagement(w.expert_user, e),
    "decline": lambda w, e: services.decline_engagement(w.expert_user, e, "不合适"),
    "schedule": lambda w, e: services.schedule_meeting(w.owner, e, MEETING, place="会议室"),
    "held": lambda w, e: services.record_meeting(w.owner, e, "纪要"),
    "agree": lambda w, e: services.agree_cooperation(w.owner, e, "transfer", 1000),
    "close": lambda w, e: services.close_engagement(w.owner, e, "不再推进"),
}
ALLOWED = {
    "accept": {S.REQUESTED},
    "decline": {S.REQUESTED},
    "schedule": {S.ACCEPTED, S.MEETING_SCHEDULED},
    "held": {S.MEETING_SCHEDULED},
    "agree": {S.MET},
    "close": {S.ACCEPTED, S.MEETING_SCHEDULED, S.MET},
}
FORBIDDEN = [
    (action, status) for action in ACTIONS for status in S.values if status not in ALLOWED[action]
]


@pytest.mark.parametrize(("action", "status"), FORBIDDEN)
def test_forbidden_engagement_transitions_change_nothing(world, published_demand, action, status):
    e = EngagementFactory(
        demand=published_demand, expert=world.expert, match_id=world.expert.pk, status=status
    )
    before = Engagement.objects.filter(pk=e.pk).values().get()
    with pytest.raises(services.Refused):
        ACTIONS[action](world, e)
    assert Engagement.objects.filter(pk=e.pk).values().get() == before
    assert not EngagementEvent.objects.filter(engagement=e).exists()
    assert not AuditEntry.objects.filter(target_type="demands.engagement").exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"at": MEETING, "place": "", "link": ""},
        {"at": MEETING.replace(tzinfo=None), "place": "会议室", "link": ""},
        {"at": MEETING, "place": "", "link": "javascript:alert(1)"},
    ],
)
def test_meeting_needs_time_and_place(world, published_demand, kwargs):
    e = EngagementFactory(
        demand=published_demand, expert=world.expert, match_id=world.expert.pk, status=S.ACCEPTED
    )
    with pytest.raises(services.Refused):
        services.schedule_meeting(world.owner, e, **kwargs)
    assert Engagement.objects.get(pk=e.pk).status == S.ACCEPTED


@pytest.mark.parametrize("amount", ["-1", "abc", 1.5, "1e15"])
def test_agreement_needs_a_valid_amount(world, published_demand, amount):
    e = EngagementFactory(
        demand=published_demand, expert=world.expert, match_id=world.expert.pk, status=S.MET
    )
    with pytest.raises(services.Refused):
        services.agree_cooperation(world.owner, e, "development", amount)
    with pytest.raises(services.Refused):
        services.agree_cooperation(world.owner, e, "barter", 100)
    assert Engagement.objects.get(pk=e.pk).status == S.MET


def test_messages_go_through_the_platform(
    world, published_demand, django_capture_on_commit_callbacks
):
    e = services.request_engagement(world.owner, published_demand, "expert", world.expert.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(world.expert_user, e, "请问现有电机功率多少?")
    assert Notification.objects.get(event="demands.engagement.message").recipient == world.owner
    services.decline_engagement(world.expert_user, e, "不合适")
    with pytest.raises(services.Refused):
        services.post_message(world.owner, e, "再考虑一下?")
    assert EngagementEvent.objects.filter(engagement=e, kind="message").count() == 1


def test_expiry_uses_the_configured_days(world, published_demand, settings):
    settings.ENGAGEMENT_EXPIRY_DAYS = 14
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    old = EngagementFactory(
        demand=published_demand,
        expert=world.expert,
        match_id=world.expert.pk,
        requested_at=now - timedelta(days=14, seconds=1),
    )
    fresh = EngagementFactory(
        demand=published_demand,
        match_type="expert",
        requested_at=now - timedelta(days=13, hours=23),
    )
    answered = EngagementFactory(
        demand=published_demand,
        match_type="expert",
        status=S.ACCEPTED,
        requested_at=now - timedelta(days=30),
    )

    assert services.expire_stale_engagements(now) == 1

    statuses = dict(Engagement.objects.values_list("pk", "status"))
    assert statuses == {old.pk: S.EXPIRED, fresh.pk: S.REQUESTED, answered.pk: S.ACCEPTED}
    settings.ENGAGEMENT_EXPIRY_DAYS = 7
    assert services.expire_stale_engagements(now) == 1
    assert Engagement.objects.get(pk=fresh.pk).status == S.EXPIRED
    with pytest.raises(services.Refused):
        services.accept_engagement(world.expert_user, old)


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_accept_racing_expiry_ends_in_one_state(world, published_demand):
    if connection.vendor != "postgresql":
        pytest.skip("races need real concurrent connections (PostgreSQL)")
    now = datetime.now(UTC)
    for round_ in range(5):
        e = EngagementFactory(
            demand=published_demand,
            expert=world.expert,
            match_id=world.expert.pk,
            requested_at=now - timedelta(days=30),
        )
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def accept(e=e, barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                services.accept_engagement(world.expert_user, e)
                outcomes.append("accepted")
            except services.Refused:
                outcomes.append("refused")
            finally:
                connections.close_all()

        def expire(barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                outcomes.append(f"expired:{services.expire_stale_engagements(now)}")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=accept), threading.Thread(target=expire)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        e.refresh_from_db()
        assert sorted(outcomes) in (["accepted", "expired:0"], ["expired:1", "refused"]), round_
        assert e.status == (S.ACCEPTED if "accepted" in outcomes else S.EXPIRED)
        transitions = list(
            EngagementEvent.objects.filter(engagement=e).values_list("status", flat=True)
        )
        assert transitions == [e.status]
        e.delete()


def test_expire_command(world, published_demand, settings):
    settings.ENGAGEMENT_EXPIRY_DAYS = 3
    stale = EngagementFactory(
        demand=published_demand,
        expert=world.expert,
        match_id=world.expert.pk,
        requested_at=datetime.now(UTC) - timedelta(days=4),
    )
    out = StringIO()
    call_command("expire_engagements", stdout=out)
    assert out.getvalue().strip() == "expired 1 engagement request(s)"
    assert Engagement.objects.get(pk=stale.pk).status == S.EXPIRED


def test_the_clock_expires_stale_requests(world, published_demand, settings):
    settings.ENGAGEMENT_EXPIRY_DAYS = 3
    stale = EngagementFactory(
        demand=published_demand,
        expert=world.expert,
        match_id=world.expert.pk,
        requested_at=datetime.now(UTC) - timedelta(days=4),
    )
    assert clock.tick()["engagements.expire"] == "done"
    assert Engagement.objects.get(pk=stale.pk).status == S.EXPIRED
    assert Notification.objects.filter(event="demands.engagement.expired").count() == 1

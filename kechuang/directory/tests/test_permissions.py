"""The directory services: who may do what, every allowed and forbidden transition, audit rows."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from kechuang.accounts.tests.scenario import build_world, person
from kechuang.core.actions import Refused
from kechuang.core.models import AuditEntry
from kechuang.directory import services
from kechuang.directory.factories import (
    AchievementFactory,
    ExpertFactory,
    InstrumentFactory,
    ServiceItemFactory,
)
from kechuang.directory.models import Instrument, Organization, ServiceItem, Status


@pytest.fixture
def world(db):
    return build_world()


def audit_rows(record) -> list[str]:
    return list(
        AuditEntry.objects.filter(
            target_type=record._meta.label_lower, target_id=str(record.pk)
        ).values_list("action", flat=True)
    )


def test_member_creates_a_draft_with_an_audit_row(world):
    instrument = Instrument(
        name="三坐标测量机",
        asset_code="YQ-RA-0001",
        owner=world.org_a,
        region=world.ruian,
        category=Instrument.Category.METROLOGY,
        status=Status.PUBLISHED,  # whatever the caller sets, a new record starts as a draft
    )
    services.save_record(world.member_a, instrument)
    instrument.refresh_from_db()
    assert instrument.status == Status.DRAFT
    entry = AuditEntry.objects.get(target_type="directory.instrument", target_id=str(instrument.pk))
    assert entry.action == "directory.record.create"
    assert entry.actor == world.member_a
    assert "asset_code" in entry.data["fields"]


def test_member_cannot_create_a_record_for_another_organisation(world):
    instrument = Instrument(
        name="三坐标测量机",
        asset_code="YQ-JD-0001",
        owner=world.org_b,
        region=world.jiading,
        category=Instrument.Category.METROLOGY,
    )
    with pytest.raises(PermissionDenied):
        services.save_record(world.member_a, instrument)
    assert not Instrument.objects.filter(asset_code="YQ-JD-0001").exists()
    assert not AuditEntry.objects.exists()


def test_member_cannot_edit_another_organisations_record(world):
    item = ServiceItemFactory(provider=world.org_b, title="材料检测")
    item.title = "被篡改的标题"
    with pytest.raises(PermissionDenied):
        services.save_record(world.member_a, item)
    item.refresh_from_db()
    assert item.title == "材料检测"
    assert audit_rows(item) == []


def test_member_cannot_hand_a_record_to_another_organisation(world):
    item = ServiceItemFactory(provider=world.org_a, title="模具设计")
    item.provider = world.org_b
    item.region = world.jiading
    with pytest.raises(PermissionDenied):
        services.save_record(world.member_a, item)
    item.refresh_from_db()
    assert item.provider == world.org_a
    assert item.region == world.ruian


def test_editing_a_published_record_keeps_it_published_and_records_the_change(world):
    item = ServiceItemFactory(provider=world.org_a, title="模具设计", status=Status.PUBLISHED)
    item.title = "精密模具设计"
    item.status = Status.ARCHIVED  # a status smuggled in with an edit is ignored
    services.save_record(world.member_a, item)
    item.refresh_from_db()
    assert item.title == "精密模具设计"
    assert item.status == Status.PUBLISHED
    entry = AuditEntry.objects.get(target_id=str(item.pk), target_type="directory.serviceitem")
    assert entry.action == "directory.record.edit"
    assert entry.data["fields"] == ["title"]


def test_edit_runs_model_validation(world):
    achievement = AchievementFactory(owner=world.org_a, region=world.ruian)
    original = achievement.patent_number
    achievement.patent_number = "ZL202110000001.0"
    with pytest.raises(ValidationError) as raised:
        services.save_record(world.member_a, achievement)
    assert "专利号校验位错误" in raised.value.messages
    achievement.refresh_from_db()
    assert achievement.patent_number == original


def test_expert_edits_their_own_profile_but_not_a_colleagues(world):
    user = person("expert_self")
    own = ExpertFactory(user=user, affiliation=world.org_b, region=world.jiading)
    colleague = ExpertFactory(affiliation=world.org_b, region=world.jiading, name="同事")
    own.title = "研究员"
    services.save_record(user, own)
    own.refresh_from_db()
    assert own.title == "研究员"
    colleague.title = "研究员"
    with pytest.raises(PermissionDenied):
        services.save_record(user, colleague)
    colleague.refresh_from_db()
    assert colleague.title == "教授"


def test_submit_approve_cycle(world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.DRAFT)
    services.submit(world.member_a, item)
    item.refresh_from_db()
    assert item.status == Status.PENDING
    services.approve(world.ruian_operator, item)
    item.refresh_from_db()
    assert item.status == Status.PUBLISHED
    assert sorted(audit_rows(item)) == ["directory.record.approve", "directory.record.submit"]


def test_operator_of_the_city_approves_a_district_record(world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.PENDING)
    services.approve(world.wenzhou_operator, item)
    item.refresh_from_db()
    assert item.status == Status.PUBLISHED


def test_operator_cannot_approve_another_regions_record(world):
    item = ServiceItemFactory(provider=world.org_b, status=Status.PENDING)
    with pytest.raises(PermissionDenied):
        services.approve(world.ruian_operator, item)
    with pytest.raises(PermissionDenied):
        services.return_for_revision(world.ruian_operator, item, "材料不全")
    with pytest.raises(PermissionDenied):
        services.archive(world.ruian_operator, item)
    item.refresh_from_db()
    assert item.status == Status.PENDING
    assert item.review_note == ""
    assert audit_rows(item) == []


def test_operator_cannot_edit_another_regions_record(world):
    organization = world.org_b
    organization.name = "改名"
    with pytest.raises(PermissionDenied):
        services.save_record(world.ruian_operator, organization)
    organization.refresh_from_db()
    assert organization.name == "嘉定检测中心"


def test_operator_cannot_move_a_record_out_of_their_regions(world):
    item = ServiceItemFactory(provider=world.org_a)
    item.region = world.jiading
    with pytest.raises(PermissionDenied):
        services.save_record(world.ruian_operator, item)
    item.refresh_from_db()
    assert item.region == world.ruian


def test_member_cannot_approve_their_own_record(world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.PENDING)
    with pytest.raises(PermissionDenied):
        services.approve(world.member_a, item)
    item.refresh_from_db()
    assert item.status == Status.PENDING


def test_outsider_cannot_submit(world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.DRAFT)
    with pytest.raises(PermissionDenied):
        services.submit(world.outsider, item)
    item.refresh_from_db()
    assert item.status == Status.DRAFT


def test_return_needs_a_reason_and_keeps_it(world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.PENDING)
    with pytest.raises(ValidationError) as raised:
        services.return_for_revision(world.ruian_operator, item, "   ")
    assert raised.value.messages == ["请填写退回理由"]
    item.refresh_from_db()
    assert item.status == Status.PENDING
    services.return_for_revision(world.ruian_operator, item, "请补充服务价格依据")
    item.refresh_from_db()
    assert item.status == Status.RETURNED
    assert item.review_note == "请补充服务价格依据"
    entry = AuditEntry.objects.get(target_id=str(item.pk), action="directory.record.return")
    assert entry.data == {"from": "pending", "to": "returned", "note": "请补充服务价格依据"}


def test_resubmitting_a_returned_record_clears_the_note(world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.RETURNED, review_note="补充材料")
    services.submit(world.member_a, item)
    item.refresh_from_db()
    assert (item.status, item.review_note) == (Status.PENDING, "")


@pytest.mark.parametrize(
    ("status", "transition"),
    [
        (Status.DRAFT, "approve"),
        (Status.RETURNED, "approve"),
        (Status.PUBLISHED, "approve"),
        (Status.ARCHIVED, "approve"),
        (Status.DRAFT, "return"),
        (Status.PUBLISHED, "return"),
        (Status.ARCHIVED, "return"),
        (Status.PENDING, "submit"),
        (Status.PUBLISHED, "submit"),
        (Status.ARCHIVED, "submit"),
        (Status.ARCHIVED, "archive"),
    ],
)
def test_forbidden_transitions_change_nothing(world, status, transition):
    item = ServiceItemFactory(provider=world.org_a, status=status)
    actions = {
        "approve": lambda: services.approve(world.ruian_operator, item),
        "return": lambda: services.return_for_revision(world.ruian_operator, item, "理由"),
        "submit": lambda: services.submit(world.ruian_operator, item),
        "archive": lambda: services.archive(world.ruian_operator, item),
    }
    with pytest.raises(Refused, match=r"只有|已归档") as raised:
        actions[transition]()
    assert raised.value.code == "status"
    item.refresh_from_db()
    assert item.status == status
    assert audit_rows(item) == []


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.PENDING, Status.PUBLISHED, Status.RETURNED]
)
def test_operator_archives_from_any_live_state(world, status):
    item = ServiceItemFactory(provider=world.org_a, status=status)
    services.archive(world.ruian_operator, item)
    item.refresh_from_db()
    assert item.status == Status.ARCHIVED


def test_member_cannot_archive(world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.PUBLISHED)
    with pytest.raises(PermissionDenied):
        services.archive(world.member_a, item)
    item.refresh_from_db()
    assert item.status == Status.PUBLISHED


def test_can_edit_agrees_with_editable_by(world):
    """The instance rule and the queryset rule give the same answer for every user and record."""
    expert_user = person("expert_self")
    records = [
        world.org_a,
        world.org_b,
        ServiceItemFactory(provider=world.org_a),
        InstrumentFactory(owner=world.org_b),
        ExpertFactory(affiliation=world.org_b, region=world.jiading, user=expert_user),
        ExpertFactory(affiliation=None, region=world.ruian),
    ]
    users = [
        world.member_a,
        world.member_b,
        world.ruian_operator,
        world.wenzhou_operator,
        world.jiading_operator,
        world.outsider,
        expert_user,
    ]
    for user in users:
        for record in records:
            in_queryset = type(record).objects.editable_by(user).filter(pk=record.pk).exists()
            assert services.can_edit(user, record) == in_queryset, (user, record)


def test_record_types_cover_the_search_type_names():
    assert services.type_name(Organization()) == "organization"
    assert services.type_name(ServiceItem()) == "service"
    assert set(services.RECORD_TYPES) == {
        "organization",
        "expert",
        "achievement",
        "instrument",
        "service",
        "platform",
    }


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_approve_racing_return_ends_in_one_state():
    """Two operators decide the same pending record at once: one wins, the other is refused, and the
    audit log holds exactly the winner's row."""
    if connection.vendor != "postgresql":
        pytest.skip("races need real concurrent connections (PostgreSQL)")
    world = build_world()
    for round_ in range(5):
        item = ServiceItemFactory(provider=world.org_a, status=Status.PENDING)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def decide(name, service, barrier=barrier, outcomes=outcomes, item=item):
            barrier.wait()
            try:
                service(item)
                outcomes.append(name)
            except Refused:
                outcomes.append("refused")
            finally:
                connections.close_all()

        threads = [
            threading.Thread(
                target=decide,
                args=("approved", lambda r: services.approve(world.ruian_operator, r)),
            ),
            threading.Thread(
                target=decide,
                args=(
                    "returned",
                    lambda r: services.return_for_revision(world.wenzhou_operator, r, "补充材料"),
                ),
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        item.refresh_from_db()
        assert sorted(outcomes) in (["approved", "refused"], ["refused", "returned"]), round_
        assert item.status == (Status.PUBLISHED if "approved" in outcomes else Status.RETURNED)
        assert len(audit_rows(item)) == 1

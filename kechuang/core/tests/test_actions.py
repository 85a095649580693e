"""The action kernel: typed event names, the fixed lock order, transitions that refuse and change nothing,
unique rows that refuse instead of failing, and checks beside actions."""

import ast
import pathlib

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kechuang.challenges.events import ChallengeEvent
from kechuang.core.actions import (
    EventName,
    Refused,
    checked_by,
    create_unique,
    event_names,
    lock,
    passes,
    transition,
)
from kechuang.core.factories import IndustryChainFactory, RegionFactory
from kechuang.core.models import AuditEntry, IndustryChain, Region
from kechuang.demands.events import DemandEvent
from kechuang.demands.factories import DemandFactory
from kechuang.demands.models import Demand

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_event_name_has_the_one_shape_and_is_registered_once():
    names = event_names()
    assert DemandEvent.DEMAND_SUBMIT in names.values()
    assert names["challenges.tranche.release"] is ChallengeEvent.TRANCHE_RELEASE
    assert all(len(name.split(".")) == 3 for name in names)
    assert DemandEvent.DEMAND_SUBMIT == "demands.demand.submit"  # stored as plain text


def test_an_event_name_of_another_shape_or_defined_twice_is_rejected():
    with pytest.raises(ValueError, match=r"app\.noun\.verb"):

        class Wrong(EventName):
            SUBMIT = "demand.submit"

    with pytest.raises(ValueError, match="defined twice"):

        class Twice(EventName):
            SUBMIT = "demands.demand.submit"


SERVICE_MODULES = [
    "kechuang/demands/services",
    "kechuang/challenges/services.py",
    "kechuang/directory/services.py",
    "kechuang/accounts/services.py",
]


def test_services_name_their_audit_rows_and_notifications_with_typed_events():
    """No string literal as the event of ``record``, ``notify`` or ``transition`` in the migrated apps."""
    literal_events = []
    for entry in SERVICE_MODULES:
        path = ROOT / entry
        for source in [path] if path.is_file() else sorted(path.glob("*.py")):
            for node in ast.walk(ast.parse(source.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                events = []
                if name in ("record", "notify") and len(node.args) >= 2:
                    events.append(node.args[1])
                events += [k.value for k in node.keywords if k.arg == "event"]
                for event in events:
                    if isinstance(event, ast.Constant) and isinstance(event.value, str):
                        literal_events.append(f"{source.name}:{node.lineno} {event.value}")
    assert literal_events == []


@pytest.mark.django_db
def test_lock_returns_the_rows_in_the_callers_order_but_locks_in_the_fixed_order():
    chain = IndustryChainFactory()
    second, first = RegionFactory(code="330300"), RegionFactory(code="330000")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        rows = lock(chain, second, first)
    assert [type(r) for r in rows] == [IndustryChain, Region, Region]
    assert [r.pk for r in rows] == [chain.pk, second.pk, first.pk]
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    # Region is defined before IndustryChain in core.models: its rows are locked first, by pk.
    assert ['"core_region"' in selects[0], '"core_industrychain"' in selects[1]] == [True, True]
    assert "ORDER BY" in selects[0]


@pytest.mark.django_db
def test_a_transition_from_an_unexpected_state_refuses_and_changes_nothing():
    demand = DemandFactory(status=Demand.Status.PUBLISHED)
    before = (Demand.objects.filter(pk=demand.pk).values().get(), AuditEntry.objects.count())
    with pytest.raises(Refused) as refused:
        transition(
            None,
            demand,
            event=DemandEvent.DEMAND_SUBMIT,
            expected=[Demand.Status.DRAFT],
            to=Demand.Status.PENDING,
            refusal="需求当前状态为“%(s)s”",
        )
    assert refused.value.message == "需求当前状态为“已发布”"
    assert (
        Demand.objects.filter(pk=demand.pk).values().get(),
        AuditEntry.objects.count(),
    ) == before


@pytest.mark.django_db
def test_a_transition_updates_stamps_audits_and_returns_the_stored_row():
    demand = DemandFactory(status=Demand.Status.DRAFT)
    changed = transition(
        None,
        demand,
        event=DemandEvent.DEMAND_SUBMIT,
        expected=[Demand.Status.DRAFT],
        to=Demand.Status.PENDING,
        summary="提交",
        values={"review_note": ""},
        data={"from": "draft"},
    )
    assert changed.status == Demand.Status.PENDING and changed.updated_at > demand.updated_at
    entry = AuditEntry.objects.get(target_id=str(demand.pk))
    assert (entry.action, entry.summary, entry.data) == (
        "demands.demand.submit",
        "提交",
        {"from": "draft"},
    )


@pytest.mark.django_db
def test_creating_a_unique_row_twice_refuses_and_keeps_the_transaction_usable():
    RegionFactory(code="330381")
    with transaction.atomic():
        with pytest.raises(Refused) as refused:
            create_unique(Region, "已有该区域", code="330381", name="瑞安市", level="district")
        assert refused.value.code == "exists"
        assert Region.objects.filter(code="330381").count() == 1  # the connection still answers


def test_a_check_beside_an_action_says_whether_its_button_shows():
    def check(actor, amount):
        if actor is None:
            raise PermissionDenied("请先登录")
        if amount <= 0:
            raise Refused("金额必须大于零")

    @checked_by(check)
    def pay(actor, amount):
        check(actor, amount)
        return amount

    assert (pay.allowed("user", 5), pay.allowed("user", 0), pay.allowed(None, 5)) == (
        True,
        False,
        False,
    )
    assert pay.check is check and passes(check, "user", 1)
    with pytest.raises(Refused):
        pay.check("user", 0)

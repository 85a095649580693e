"""Reviewers racing on real PostgreSQL connections: one month keeps exactly one approved value, and one
entry is approved once."""

import datetime
import threading

import pytest
from django.db import close_old_connections, connection

from kechuang.accounts.factories import OperatorMandateFactory, UserFactory
from kechuang.core.actions import Refused
from kechuang.core.factories import RegionFactory
from kechuang.core.models import Region
from kechuang.indicators import services
from kechuang.indicators.models import ManualValue

pytestmark = [pytest.mark.postgres_race, pytest.mark.django_db(transaction=True)]
NOW = datetime.datetime(2026, 7, 10, 2, 0, tzinfo=datetime.UTC)
CLIENTS = 8


@pytest.fixture(autouse=True)
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("racing connections needs PostgreSQL")


def race(target, count=CLIENTS):
    barrier = threading.Barrier(count)
    outcomes: list = []

    def run(n):
        try:
            barrier.wait()
            try:
                target(n)
                outcomes.append("ok")
            except Refused as refused:
                outcomes.append(refused.code)
        except Exception as error:
            outcomes.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a reviewer hung"
    return outcomes


def setup():
    city = RegionFactory(code="330300", name="温州市", level=Region.Level.CITY)
    district = RegionFactory(code="330303", name="龙湾区", parent=city)
    author = OperatorMandateFactory(region=city, user=UserFactory(username="author")).user
    reviewers = [
        OperatorMandateFactory(region=city, user=UserFactory(username=f"r{n}")).user
        for n in range(CLIENTS)
    ]
    indicator = services.define_indicator(
        author, city, code="venture", name="创投机构投资", unit="亿元", money=True
    )
    return district, author, reviewers, indicator


def test_racing_approvals_of_rival_values_leave_one_approved():
    district, author, reviewers, indicator = setup()
    entries = [
        services.enter_value(
            author,
            indicator,
            district,
            year=2026,
            month=5,
            value=100 + n,
            evidence="统计快报",
            now=NOW,
        )
        for n in range(CLIENTS)
    ]
    outcomes = race(lambda n: services.approve_value_safely(reviewers[n], entries[n], now=NOW))
    assert all(isinstance(o, str) for o in outcomes), outcomes
    approved = ManualValue.objects.filter(status="approved")
    assert approved.count() == 1
    assert outcomes.count("ok") >= 1


def test_racing_approvals_of_one_entry_approve_it_once():
    district, author, reviewers, indicator = setup()
    entry = services.enter_value(
        author, indicator, district, year=2026, month=5, value=100, evidence="统计快报", now=NOW
    )
    outcomes = race(lambda n: services.approve_value_safely(reviewers[n], entry, now=NOW))
    assert outcomes.count("ok") == 1 and outcomes.count("not_pending") == CLIENTS - 1
    assert ManualValue.objects.get().status == "approved"

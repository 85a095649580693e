"""Many clients booking overlapping slots at once never produce two overlapping bookings of one instrument.

On PostgreSQL 32 threads race real connections (the row lock on the rules and the exclusion constraint);
on SQLite threads race connections to one database file (the IMMEDIATE transaction and the trigger).
"""

import itertools
import random
import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection

from kechuang.accounts.factories import MembershipFactory, UserFactory
from kechuang.booking import services
from kechuang.booking.factories import BookingRulesFactory
from kechuang.booking.models import Booking
from kechuang.booking.tests.conftest import NOW, at
from kechuang.core.actions import Refused
from kechuang.directory.factories import InstrumentFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


def clients():
    return 32 if connection.vendor == "postgresql" else 8


def race(target, count):
    barrier = threading.Barrier(count)
    outcomes: list = []

    def run(n):
        try:
            barrier.wait()
            outcomes.extend(target(n))
        except Exception as error:  # a 500 or a deadlock ends here, and fails the test
            outcomes.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    return outcomes


def overlaps(instrument_ids) -> list:
    """Pairs of occupying bookings of one instrument whose times overlap."""
    found = []
    for instrument_id in instrument_ids:
        rows = list(
            Booking.objects.occupying()
            .filter(instrument_id=instrument_id)
            .order_by("starts_at")
            .values_list("pk", "starts_at", "ends_at")
        )
        for (a, _s, a_end), (b, b_start, _e) in itertools.pairwise(rows):
            if b_start < a_end:
                found.append((a, b))
    return found


def in_thread(call):
    """Run ``call`` on a connection of its own (on SQLite: to the race's database file)."""
    result: dict = {}

    def run():
        try:
            result["value"] = call()
        except BaseException as error:
            result["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


@pytest.fixture
def database(tmp_path):
    """PostgreSQL: the test database. SQLite: the test database is in memory, where connections of
    several threads share one cache and fail at once instead of waiting; the race runs on a migrated
    database file instead, as the platform runs (WAL, IMMEDIATE transactions, busy timeout)."""
    if connection.vendor != "sqlite":
        yield
        return
    import sqlite3

    from django.db import connections

    connection.ensure_connection()
    path = tmp_path / "race.sqlite3"
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)  # the migrated schema, its triggers included
    copy.close()
    default = connections.settings["default"]
    before = default["NAME"]
    default["NAME"] = str(path)
    try:
        yield
    finally:
        default["NAME"] = before


@pytest.fixture
def scene(settings, database):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return in_thread(make_scene)


def make_scene():
    enterprise = OrganizationFactory(name="瑞安汽车电机有限公司")
    users = [UserFactory(username=f"racer{n}") for n in range(clients())]
    for user in users:
        MembershipFactory(user=user, organization=enterprise)
    instruments = [InstrumentFactory(name=f"激光共聚焦显微镜{n}") for n in range(3)]
    for instrument in instruments:
        BookingRulesFactory(instrument=instrument, needs_approval=bool(instrument.pk % 2))
    return enterprise, users, instruments


def attempt(user, request) -> str:
    try:
        services.book(user, request, now=NOW)
    except Refused as refused:
        return refused.code
    return "ok"


def test_everyone_booking_the_same_slot_gets_it_once(scene):
    enterprise, users, (instrument, *_rest) = scene

    def same(n):
        return [
            attempt(
                users[n],
                services.Request(instrument, enterprise, at(9, 10), at(9, 12)),
            )
        ]

    outcomes = race(same, len(users))
    assert sorted(outcomes, key=str) == ["ok"] + ["taken"] * (len(users) - 1)
    assert in_thread(Booking.objects.count) == 1


def test_random_overlapping_slots_never_overlap(scene):
    enterprise, users, instruments = scene

    def book_randomly(n):
        rng = random.Random(n)
        done = []
        for _ in range(6):
            start = at(9, 8) + timedelta(minutes=30 * rng.randint(0, 18))
            request = services.Request(
                rng.choice(instruments),
                enterprise,
                start,
                start + timedelta(minutes=30 * rng.randint(1, 4)),
            )
            done.append(attempt(users[n], request))
        return done

    outcomes = race(book_randomly, len(users))
    assert all(o in ("ok", "taken") for o in outcomes), [
        o for o in outcomes if o not in ("ok", "taken")
    ]
    assert outcomes.count("ok") >= 3
    assert in_thread(lambda: overlaps([i.pk for i in instruments])) == []
    assert in_thread(Booking.objects.count) == outcomes.count("ok")

"""Bookings over random sequences of booking, approval, rejection, cancellation, use and no-shows.

A model of the expected calendar runs beside the database: a booking the model says fits is made, one that
overlaps an occupying booking is refused with ``taken`` and changes nothing; no two occupying bookings of
an instrument ever overlap; every billed fee is the voucher share plus the payer's share; the ledger holds.
"""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kechuang.accounts.factories import MembershipFactory, UserFactory
from kechuang.booking import services
from kechuang.booking.factories import BookingRulesFactory
from kechuang.booking.models import OCCUPYING, Booking
from kechuang.booking.tests.conftest import NOW, at
from kechuang.core.actions import Refused
from kechuang.directory.factories import InstrumentFactory, OrganizationFactory
from kechuang.ledger.queries import violations

COUNTER = itertools.count()
S = Booking.Status


class Calendar(RuleBasedStateMachine):
    @initialize()
    def scene(self):
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        n = next(COUNTER)
        self.lab = OrganizationFactory(name=f"测试大学{n}", kind="university")
        self.manager = UserFactory(username=f"sm-lab-{n}")
        MembershipFactory(user=self.manager, organization=self.lab)
        self.enterprise = OrganizationFactory(name=f"测试企业{n}")
        self.users = [UserFactory(username=f"sm-user-{n}-{k}") for k in range(2)]
        for user in self.users:
            MembershipFactory(user=user, organization=self.enterprise)
        self.instruments = [
            InstrumentFactory(owner=self.lab, region=self.lab.region) for _ in range(2)
        ]
        for k, instrument in enumerate(self.instruments):
            BookingRulesFactory(instrument=instrument, needs_approval=k == 1, lead_hours=0)
        self.now = NOW
        self.expected: dict[
            int, tuple
        ] = {}  # booking pk -> (instrument pk, start, end) while occupying

    def teardown(self):
        if hasattr(self, "savepoint"):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

    def fits(self, instrument, start, end) -> bool:
        return not any(
            i == instrument.pk and s < end and start < e for i, s, e in self.expected.values()
        )

    @rule(
        who=st.integers(0, 1),
        which=st.integers(0, 1),
        day=st.integers(8, 10),
        half_hour=st.integers(0, 22),
        length=st.integers(1, 6),
    )
    def book(self, who, which, day, half_hour, length):
        instrument = self.instruments[which]
        start = at(day, 8) + timedelta(minutes=30 * half_hour)
        end = start + timedelta(minutes=30 * length)
        request = services.Request(instrument, self.enterprise, start, end)
        if end > at(day, 20):
            try:
                services.book(self.users[who], request, now=self.now)
            except Refused as refused:
                assert refused.code == "closed_hours"
            else:
                raise AssertionError("a slot past closing time was booked")
            return
        fits = self.fits(instrument, start, end)
        try:
            booking = services.book(self.users[who], request, now=self.now)
        except Refused as refused:
            assert refused.code == "taken" and not fits, refused.code
            return
        assert fits
        self.expected[booking.pk] = (instrument.pk, start, end)

    def pick(self, data, *states):
        rows = list(
            Booking.objects.filter(status__in=states, instrument__in=self.instruments).order_by(
                "pk"
            )
        )
        return data.draw(st.sampled_from(rows)) if rows else None

    @rule(data=st.data())
    def approve(self, data):
        booking = self.pick(data, S.PENDING)
        if booking:
            services.approve(self.manager, booking, now=self.now)

    @rule(data=st.data())
    def reject(self, data):
        booking = self.pick(data, S.PENDING)
        if booking:
            services.reject(self.manager, booking, note="时段冲突", now=self.now)
            del self.expected[booking.pk]

    @rule(data=st.data())
    def cancel(self, data):
        booking = self.pick(data, S.PENDING, S.CONFIRMED)
        if booking and booking.starts_at > self.now:
            services.cancel(booking.user, booking, now=self.now)
            del self.expected[booking.pk]

    @rule(hours=st.integers(1, 12))
    def time_passes(self, hours):
        self.now += timedelta(hours=hours)
        services.release_no_shows(self.now)
        for pk in Booking.objects.filter(pk__in=list(self.expected), status=S.NO_SHOW).values_list(
            "pk", flat=True
        ):
            del self.expected[pk]

    @rule(data=st.data())
    def use(self, data):
        booking = self.pick(data, S.CONFIRMED)
        if booking and booking.ends_at <= self.now:
            services.record_use(self.manager, booking, now=self.now)

    @invariant()
    def calendar_matches_the_model(self):
        if not hasattr(self, "expected"):
            return
        rows = Booking.objects.filter(status__in=OCCUPYING, instrument__in=self.instruments)
        assert {b.pk: (b.instrument_id, b.starts_at, b.ends_at) for b in rows} == self.expected
        by_instrument: dict[int, list] = {}
        for _pk, (i, s, e) in self.expected.items():
            by_instrument.setdefault(i, []).append((s, e))
        for spans in by_instrument.values():
            spans.sort()
            assert all(b[0] >= a[1] for a, b in itertools.pairwise(spans))

    @invariant()
    def fees_split_and_the_ledger_holds(self):
        if not hasattr(self, "expected"):
            return
        for fee, voucher, payer in Booking.objects.filter(
            instrument__in=self.instruments, fee__isnull=False
        ).values_list("fee", "voucher_share", "payer_share"):
            assert fee == voucher + payer and fee >= Decimal(0)
        assert violations() == []


@pytest.mark.django_db
def test_booking_state_machine(settings_django):
    Calendar.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    Calendar.TestCase().runTest()


@pytest.fixture
def settings_django(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

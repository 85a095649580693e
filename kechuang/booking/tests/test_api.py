"""The booking API: the same services as the pages, refusals as 409 with the rule's code."""

from datetime import timedelta

from django.utils import timezone

from kechuang.booking.models import Booking


def slot(days=3, hour=10, hours=2):
    start = timezone.localtime(timezone.now() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    return start.isoformat(), (start + timedelta(hours=hours)).isoformat()


def test_book_approve_use_and_refusals_through_the_api(client, world):
    base = "/api/booking"
    assert (
        client.get(f"{base}/instruments/{world.instrument.pk}/rules").json()["external_rate"]
        == "400.00"
    )
    client.force_login(world.manager)
    rules = client.get(f"{base}/instruments/{world.instrument.pk}/rules").json()
    rules.pop("instrument_id")
    rules["needs_approval"] = True
    assert (
        client.put(
            f"{base}/instruments/{world.instrument.pk}/rules",
            rules,
            content_type="application/json",
        ).status_code
        == 200
    )
    client.force_login(world.user)
    starts_at, ends_at = slot()
    body = {
        "instrument_id": world.instrument.pk,
        "organization_id": world.enterprise.pk,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "idempotency_key": "api-1",
    }
    created = client.post(f"{base}/bookings", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "pending"
    again = client.post(f"{base}/bookings", body, content_type="application/json")
    assert again.json()["id"] == created.json()["id"]
    taken = client.post(
        f"{base}/bookings", {**body, "idempotency_key": ""}, content_type="application/json"
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "taken")
    early = client.post(
        f"{base}/bookings",
        {
            **body,
            "starts_at": timezone.now().isoformat(),
            "ends_at": (timezone.now() + timedelta(hours=1)).isoformat(),
            "idempotency_key": "",
        },
        content_type="application/json",
    )
    assert early.status_code == 409
    invalid = client.post(
        f"{base}/bookings", {**body, "samples": -1}, content_type="application/json"
    )
    assert invalid.status_code == 422
    pk = created.json()["id"]
    assert client.post(f"{base}/bookings/{pk}/approve").status_code == 403
    calendar = client.get(f"{base}/instruments/{world.instrument.pk}/calendar?days=7").json()
    assert any(b["booking_id"] == pk for day in calendar for b in day["blocks"])
    client.force_login(world.manager)
    assert client.post(f"{base}/bookings/{pk}/approve").json()["status"] == "confirmed"
    assert client.post(f"{base}/bookings/{pk}/approve").json()["code"] == "bad_state"
    assert (
        client.post(f"{base}/bookings/{pk}/use", {}, content_type="application/json").json()["code"]
        == "future_use"
    )
    assert len(client.get(f"{base}/bookings?managed=true").json()) == 1
    client.force_login(world.partner_user)
    assert client.get(f"{base}/bookings/{pk}").status_code == 403
    assert client.get(f"{base}/free", {"starts_at": starts_at, "ends_at": ends_at}).json() == []
    # a reversed interval is schema-valid: nothing is free "for the whole of" it, not an error
    reversed_interval = client.get(f"{base}/free", {"starts_at": ends_at, "ends_at": starts_at})
    assert (reversed_interval.status_code, reversed_interval.json()) == (200, [])
    # moments a database or the calendar cannot hold are refused, not a 500 (schemathesis found
    # +17:02 on PostgreSQL); an offset-less moment is Beijing time
    for bad in (
        "2098-07-13T11:32:53+17:02",
        "0198-07-13T11:32:53+01:00",
        "9999-12-31T23:59:59-14:00",
    ):
        refused = client.get(f"{base}/free", {"starts_at": bad, "ends_at": ends_at})
        assert refused.status_code == 422, bad
    naive = client.get(
        f"{base}/free", {"starts_at": "2098-01-01T09:00", "ends_at": "2098-01-01T10:00"}
    )
    assert naive.status_code == 200
    assert client.get(f"{base}/figures?year=2026").status_code == 403
    client.force_login(world.user)
    month = timezone.localdate().strftime("%Y-%m")
    statement = client.get(f"{base}/statements?organization_id={world.enterprise.pk}&month={month}")
    assert statement.status_code == 200
    assert (
        client.get(
            f"{base}/statements?organization_id={world.enterprise.pk}&month=2026-13"
        ).status_code
        == 422
    )
    assert (
        client.post(f"{base}/bookings/{pk}/cancel", {}, content_type="application/json").json()[
            "status"
        ]
        == "cancelled"
    )
    assert Booking.objects.get(pk=pk).status == "cancelled"

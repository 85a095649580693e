"""The application window ends at 24:00 Asia/Shanghai time on the closing day."""

import datetime
import zoneinfo

import pytest

from kechuang.challenges import services
from kechuang.challenges.models import SHANGHAI, Application
from kechuang.challenges.tests.conftest import assert_refused, complete_alone, publish

pytestmark = pytest.mark.django_db

LAST_SECOND = datetime.datetime(2026, 3, 31, 23, 59, 59, tzinfo=SHANGHAI)
NEXT_DAY = datetime.datetime(2026, 4, 1, 0, 0, 0, tzinfo=SHANGHAI)


def test_submission_at_235959_shanghai_on_the_closing_day_is_on_time(world):
    publish(world)
    application = complete_alone(world, "enterprise")
    services.submit_application(world.users["enterprise"], application, now=LAST_SECOND)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.submitted_at == LAST_SECOND
    # Stored in UTC: 15:59:59 on the same day.
    assert application.submitted_at.astimezone(datetime.UTC) == datetime.datetime(
        2026, 3, 31, 15, 59, 59, tzinfo=datetime.UTC
    )


def test_submission_at_midnight_shanghai_is_refused(world):
    publish(world)
    application = complete_alone(world, "enterprise")
    assert_refused(
        lambda: services.submit_application(world.users["enterprise"], application, now=NEXT_DAY),
        application,
    )
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_the_boundary_is_shanghai_time_not_utc(world):
    """16:00 UTC on the closing day is already 00:00 the next day in Shanghai: late."""
    publish(world)
    application = complete_alone(world, "enterprise")
    utc_late = datetime.datetime(2026, 3, 31, 16, 0, 0, tzinfo=datetime.UTC)
    new_york = utc_late.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert_refused(
        lambda: services.submit_application(world.users["enterprise"], application, now=new_york),
        application,
    )


def test_no_draft_opened_before_the_window_or_after_it(world):
    publish(world)
    before = datetime.datetime(2026, 2, 28, 23, 59, 59, tzinfo=SHANGHAI)
    for now in (before, NEXT_DAY):
        with pytest.raises(services.Refused):
            services.start_application(
                world.users["enterprise"], world.challenge, world.orgs["enterprise"], now=now
            )
    assert not Application.objects.exists()
    services.start_application(
        world.users["enterprise"],
        world.challenge,
        world.orgs["enterprise"],
        now=datetime.datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI),
    )

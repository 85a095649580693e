"""The clock: periodic work, registered by name and period in :data:`JOBS`.

``kechuang clock`` (the demo starts it beside its task workers; production runs it as one more service)
calls :func:`tick` every minute. A tick runs each job whose ``next_run_at`` has come, after claiming the
job's :class:`~kechuang.core.models.PeriodicJob` row with a conditional UPDATE: of several clock
processes, only the one whose UPDATE changed the row runs the job. A job that succeeds is next due one
period after this run, so after downtime a job that fell due several times runs once, not once per missed
period. A job that fails is recorded (outcome, error, consecutive failures) and stays due, so the next
tick retries it; it never stops the other jobs of the tick. A clock process that dies mid-job holds the
claim only until ``lease`` has passed, after which another clock takes the job up.

Jobs are callables without arguments given by dotted path (the clock imports nothing of the apps it
schedules) and should be idempotent: each change they make is guarded by its own conditional UPDATE, as
:func:`kechuang.demands.services.expire_stale_engagements` is.
"""

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kechuang.core.models import PeriodicJob

logger = logging.getLogger(__name__)

TICK_SECONDS = 60


@dataclass(frozen=True)
class Job:
    name: str
    period: timedelta
    target: (
        str  # dotted path of a callable taking no arguments; what it returns is shown as the result
    )
    label: str | Promise
    lease: timedelta = timedelta(minutes=15)  # longer than the job can take

    def run(self):
        return import_string(self.target)()


# The one place periodic work is registered.
JOBS: list[Job] = [
    Job(
        "core.tasks.requeue",
        timedelta(minutes=1),
        "kechuang.core.workers.requeue_abandoned",
        _("重新排队已停止的任务进程留下的任务"),
        lease=timedelta(minutes=2),
    ),
    Job(
        "engagements.expire",
        timedelta(hours=1),
        "kechuang.demands.services.expire_stale_engagements",
        _("过期未回应的对接请求"),
    ),
    Job(
        "auctions.close",
        timedelta(minutes=1),
        "kechuang.auctions.services.close_due_lots",
        _("结束到时的拍品竞价"),
        lease=timedelta(minutes=5),
    ),
    Job(
        "booking.release",
        timedelta(minutes=5),
        "kechuang.booking.services.release_no_shows",
        _("释放爽约的仪器预约"),
    ),
    Job(
        "booking.remind",
        timedelta(minutes=15),
        "kechuang.booking.services.send_reminders",
        _("仪器预约开始前提醒"),
    ),
    Job(
        "vouchers.expire",
        timedelta(hours=1),
        "kechuang.vouchers.services.expire_vouchers",
        _("创新券到期，未用余额退回方案预算"),
    ),
    Job(
        "vouchers.providers.activate",
        timedelta(hours=1),
        "kechuang.vouchers.providers.activate_after_notice",
        _("公示期满的创新券服务机构入库"),
    ),
    Job(
        "notifications.purge",
        timedelta(days=1),
        "kechuang.privacy.services.purge_notification_bodies",
        _("清除超过保存期限的通知邮件正文"),
    ),
]


@dataclass(frozen=True)
class JobStatus:
    """A registered job and its row (``None`` before a clock first saw it), for the operators' page."""

    job: Job
    state: PeriodicJob | None
    now: datetime

    @property
    def overdue(self) -> bool:
        """Due for longer than a few ticks and nobody running it: no clock process is running."""
        state = self.state
        if state is None:
            return True
        late = self.now - state.next_run_at > timedelta(seconds=5 * TICK_SECONDS)
        return late and (state.claimed_until is None or state.claimed_until <= self.now)


def period_text(period: timedelta) -> str:
    """“每 10 分钟”, “每小时”, “每 2 天”."""
    minutes = round(period.total_seconds() / 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("每天", "每 %(n)d 天", days) % {"n": days}
    if minutes % 60 == 0:
        return ngettext("每小时", "每 %(n)d 小时", minutes // 60) % {"n": minutes // 60}
    return ngettext("每分钟", "每 %(n)d 分钟", minutes) % {"n": minutes}


def tick(now: datetime | None = None, jobs: list[Job] | None = None) -> dict[str, str]:
    """Run every due job once; returns ``{name: outcome}`` for the jobs this process ran."""
    now = now or timezone.now()
    jobs = JOBS if jobs is None else jobs
    outcomes = {}
    for job in jobs:
        _register(job, now)
        outcome = run_if_due(job, now)
        if outcome:
            outcomes[job.name] = outcome
    return outcomes


def run_if_due(job: Job, now: datetime) -> str | None:
    """Claim and run ``job`` if it is due at ``now`` and no other clock holds it; returns the outcome, or
    ``None`` if it was not this process's to run."""
    claimed = (
        PeriodicJob.objects.filter(name=job.name, next_run_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=now + job.lease, last_started_at=now)
    )
    if not claimed:
        return None
    rows = PeriodicJob.objects.filter(name=job.name)
    try:
        result = job.run()
    except Exception:
        logger.exception("periodic job %s failed", job.name)
        rows.update(
            claimed_until=None,
            last_finished_at=timezone.now(),
            last_outcome=PeriodicJob.Outcome.FAILED,
            last_error=traceback.format_exc()[-4000:],
            runs=F("runs") + 1,
            failures=F("failures") + 1,
        )
        return PeriodicJob.Outcome.FAILED
    rows.update(
        claimed_until=None,
        next_run_at=now + job.period,
        last_finished_at=timezone.now(),
        last_outcome=PeriodicJob.Outcome.DONE,
        last_result="" if result is None else str(result)[:300],
        last_error="",
        runs=F("runs") + 1,
        failures=0,
    )
    return PeriodicJob.Outcome.DONE


def _register(job: Job, now: datetime) -> None:
    """A job new to the database is due at once."""
    if PeriodicJob.objects.filter(name=job.name).exists():
        return
    try:
        with transaction.atomic():
            PeriodicJob.objects.create(name=job.name, next_run_at=now)
    except IntegrityError:  # another clock registered it meanwhile
        pass


def statuses(now: datetime | None = None) -> list[JobStatus]:
    """Every registered job with its row."""
    now = now or timezone.now()
    rows = PeriodicJob.objects.in_bulk([job.name for job in JOBS], field_name="name")
    return [JobStatus(job, rows.get(job.name), now) for job in JOBS]

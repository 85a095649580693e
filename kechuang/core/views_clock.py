"""The clock page (``/manage/clock/``): for operators, each periodic job, how often it runs, how its last
run went and when it runs next."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kechuang.core import clock
from kechuang.core.access import is_operator


@login_required
def status(request: HttpRequest) -> HttpResponse:
    if not is_operator(request.user):
        raise PermissionDenied(_("只有运营人员可以查看定时任务。"))
    jobs = clock.statuses()
    return render(
        request,
        "core/clock/status.html",
        {
            "jobs": [(s, clock.period_text(s.job.period)) for s in jobs],
            "stopped": any(s.overdue for s in jobs),
        },
    )

"""The operators' audit log (``/manage/audit/``): who did what to which record and when, with the values
the service recorded; filtered, paged and exported as CSV. Read-only: rows are written by services alone."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit_log
from kechuang.core.access import is_operator
from kechuang.core.actions import event_names


def _operator_only(request: HttpRequest) -> None:
    if not is_operator(request.user):
        raise PermissionDenied(_("只有运营人员可以查看审计日志。"))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _operator_only(request)
    form = audit_log.AuditFilterForm(request.GET or None, user=request.user)
    rows = audit_log.filtered(request.user, form)
    page = Paginator(rows, audit_log.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit/index.html",
        {
            "form": form,
            "page": page,
            "rows": audit_log.log_rows(request.user, list(page.object_list)),
            "platform_wide": request.user.is_superuser,
            "event_names": sorted(event_names()),
        },
    )


@login_required
def export(request: HttpRequest) -> StreamingHttpResponse:
    _operator_only(request)
    form = audit_log.AuditFilterForm(request.GET or None, user=request.user)
    rows = audit_log.filtered(request.user, form)
    response = StreamingHttpResponse(
        audit_log.csv_lines(rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response

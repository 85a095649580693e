"""A person's personal-information page (``/privacy/``: download a copy, delete the account) and the
operators' list of such requests (``/privacy/requests/``)."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.core.access import is_operator
from kechuang.core.actions import Refused
from kechuang.privacy import services
from kechuang.privacy.models import PersonalDataRequest


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "privacy/mine.html",
        {
            "may_delete": services.delete_account.allowed(user, user),
            "retention_days": services.settings.NOTIFICATION_BODY_RETENTION_DAYS,
            "history": PersonalDataRequest.objects.filter(user=user)[:10],
        },
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    data = services.export_personal_data(request.user, request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="personal-data-{stamp}.json"'
    return response


@require_POST
@login_required
def delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.POST.get("confirm") != "注销":
        messages.error(request, _("请在确认框中输入“注销”二字。账号未注销。"))
        return redirect("privacy:mine")
    try:
        services.delete_account(user, user, password=request.POST.get("password", ""))
    except (Refused, PermissionDenied) as refusal:
        messages.error(request, str(refusal))
        return redirect("privacy:mine")
    logout(request)
    messages.success(request, _("您的账号已注销，个人信息已删除或匿名化。"))
    return redirect("directory:home")


@login_required
def requests(request: HttpRequest) -> HttpResponse:
    if not is_operator(request.user):
        raise PermissionDenied(_("只有运营人员可以查看个人信息请求。"))
    rows = PersonalDataRequest.objects.all()
    kind = request.GET.get("kind", "")
    if kind in PersonalDataRequest.Kind.values:
        rows = rows.filter(kind=kind)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/requests.html",
        {"page": page, "kind": kind, "kinds": PersonalDataRequest.Kind.choices},
    )

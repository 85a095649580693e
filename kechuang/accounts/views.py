"""The language switch: Django's ``set_language``, which also keeps a signed-in user's choice as the
language their notifications and e-mails are written in; and a person's API tokens (``/accounts/tokens/``)."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from kechuang.accounts import services
from kechuang.accounts.models import ApiToken, User
from kechuang.accounts.tokens import CAPABILITIES, READ, WRITE, allowed_scopes
from kechuang.core.actions import Refused
from kechuang.core.feedback import attempt


@require_POST
def set_language(request):
    response = django_set_language(request)
    code = request.POST.get("language")
    if request.user.is_authenticated and code in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(language=code)
    return response


# --- API tokens ------------------------------------------------------------------------------------------

EXPIRY_CHOICES = [("30", _("30 天")), ("90", _("90 天")), ("365", _("一年")), ("", _("不过期"))]


def _token_page(request, *, created=None, secret="", form_values=None, status=200):
    allowed = allowed_scopes(request.user)
    rows = [
        {
            "key": key,
            "label": label,
            "read": f"{key}:{READ}" in allowed,
            "write": f"{key}:{WRITE}" in allowed,
        }
        for key, label in CAPABILITIES.items()
    ]
    now = timezone.now()
    tokens = [
        {
            "token": t,
            "scopes": t.scopes,
            "state": "revoked"
            if t.revoked_at
            else ("expired" if t.expires_at and t.expires_at <= now else "live"),
        }
        for t in ApiToken.objects.filter(user=request.user)
    ]
    values = form_values or {"name": "", "scopes": [], "expiry": "90"}
    return render(
        request,
        "accounts/tokens.html",
        {
            "rows": rows,
            "tokens": tokens,
            "created": created,
            "secret": secret,
            "values": values,
            "expiry_choices": EXPIRY_CHOICES,
        },
        status=status,
    )


@login_required
def tokens(request):
    """The person's API tokens: create one (its secret shown on this answer only), list, revoke."""
    if request.method != "POST":
        return _token_page(request)
    values = {
        "name": request.POST.get("name", "")[:200],
        "scopes": request.POST.getlist("scopes")[:50],
        "expiry": request.POST.get("expiry", ""),
    }
    days = {"30": 30, "90": 90, "365": 365}.get(values["expiry"])
    expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
    try:
        token, secret = services.create_api_token(
            request.user, name=values["name"], scopes=values["scopes"], expires_at=expires_at
        )
    except (Refused, PermissionDenied) as refusal:
        messages.error(request, getattr(refusal, "message", None) or str(refusal))
        return _token_page(request, form_values=values, status=400)
    # The secret exists only in this answer: never stored, never redirected through the session.
    response = _token_page(request, created=token, secret=secret)
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_POST
def revoke_token(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    attempt(
        request,
        lambda: services.revoke_api_token(request.user, token),
        _("已撤销令牌“%(name)s”") % {"name": token.name},
    )
    return redirect("accounts:tokens")

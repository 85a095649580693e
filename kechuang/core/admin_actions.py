"""The admin acts only through the services (no back doors).

:class:`ServiceOnlyAdmin` shows a model's rows read-only — no add, change or delete in the admin — and its
admin actions call the app's services, which check permission and state, lock, audit and notify exactly as
the pages and the API do. :func:`apply_service` runs one service per selected row and reports each refusal;
:func:`reason_action` first asks for the reason a service needs (退回 / 关闭).
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.actions import Refused


class ServiceOnlyAdmin(admin.ModelAdmin):
    """A read-only admin: rows are looked at here and changed through admin actions that call services.
    Nobody adds, edits or deletes a row directly, so states, amounts and agreements keep their rules and
    their history."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows the related rows (a timeline, members, tranches) and never changes them."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def apply_service(
    modeladmin: admin.ModelAdmin, request, queryset, call: Callable, done_text: str
) -> None:
    """Call ``call(request.user, row)`` for every selected row, each on its own (one refusal does not undo
    the others), then report how many succeeded (``done_text`` with ``%(n)d``) and why the others were
    refused."""
    done, failures = 0, []
    for row in queryset:
        try:
            call(request.user, row)
        except (ValidationError, Refused, PermissionDenied) as error:
            text = "；".join(error.messages) if isinstance(error, ValidationError) else str(error)
            failures.append(_("%(record)s：%(problem)s") % {"record": row, "problem": text})
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_text % {"n": done}, messages.SUCCESS)
    for failure in failures:
        modeladmin.message_user(request, failure, messages.ERROR)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


def reason_action(
    modeladmin: admin.ModelAdmin,
    request,
    queryset,
    *,
    action: str,
    title: str,
    call: Callable,
    done_text: str,
):
    """An admin action whose service needs a reason: the first request shows the selected rows and asks
    for it; the confirmation calls ``call(user, row, reason)`` for each row through :func:`apply_service`."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        apply_service(
            modeladmin, request, queryset, lambda user, row: call(user, row, reason), done_text
        )
        return None
    return TemplateResponse(
        request,
        "core/admin_reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "opts": modeladmin.model._meta,
            "queryset": queryset,
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )

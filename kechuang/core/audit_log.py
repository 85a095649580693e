"""Reading the audit log for operators (``/manage/audit/``): the filters, the page's rows with a link to
each record, and the CSV export of the same rows.

An operator reads the rows of the regions they operate, a platform operator every row
(:meth:`~kechuang.core.models.AuditEntryQuerySet.visible_to`); the filters narrow that, never widen it.
"""

import datetime
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django import forms
from django.apps import apps
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.access import managed_regions
from kechuang.core.actions import event_names
from kechuang.core.models import AuditEntry
from kechuang.core.params import validate_platform_date
from kechuang.core.spreadsheet_cells import GuardedCSVWriter

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 50


def _app_label(app: str) -> str:
    try:
        return str(apps.get_app_config(app).verbose_name)
    except LookupError:
        return app


def app_choices() -> list[tuple[str, str]]:
    """The app filter's options: each app that names events, by its Chinese name."""
    apps_with_events = sorted({name.split(".", 1)[0] for name in event_names()})
    return [("", _("全部模块")), *((app, _app_label(app)) for app in apps_with_events)]


def target_type_choices() -> list[tuple[str, str]]:
    """The platform's record types, by their Chinese names."""
    models = [m for m in apps.get_models() if m.__module__.startswith("kechuang.")]
    labelled = sorted(
        (
            (m._meta.label_lower, f"{m._meta.verbose_name}（{_app_label(m._meta.app_label)}）")
            for m in models
        ),
        key=lambda c: c[1],
    )
    return [("", _("全部对象")), *labelled]


class AuditFilterForm(forms.Form):
    """The log's filters, all optional; an invalid value is reported and the filter ignored."""

    actor = forms.CharField(
        label=gettext_lazy("操作人"),
        required=False,
        max_length=150,
        help_text=gettext_lazy("账号或姓名，例如：ruian_op"),
    )
    app = forms.ChoiceField(label=gettext_lazy("模块"), required=False)
    # Typed with suggestions (a <datalist> of every event name): a select of 200 names is slow to
    # render and to use.
    event = forms.CharField(
        label=gettext_lazy("事件"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={"list": "event-names", "placeholder": "demands.demand.submit"}
        ),
    )
    target_type = forms.ChoiceField(label=gettext_lazy("对象类型"), required=False)
    target_id = forms.CharField(label=gettext_lazy("对象编号"), required=False, max_length=40)
    region = forms.ChoiceField(label=gettext_lazy("区域"), required=False)
    start = forms.DateField(
        label=gettext_lazy("起始日期"),
        required=False,
        validators=[validate_platform_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=gettext_lazy("截止日期"),
        required=False,
        validators=[validate_platform_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["app"].choices = app_choices()
        self.fields["target_type"].choices = target_type_choices()
        self.regions = list(managed_regions(user).order_by("path"))
        self.fields["region"].choices = [("", _("我负责的全部区域"))] + [
            (r.code, r.full_name) for r in self.regions
        ]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("截止日期不能早于起始日期"))
        return data


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=SHANGHAI)


def filtered(user, form: AuditFilterForm) -> QuerySet[AuditEntry]:
    """The rows ``user`` may read, narrowed by the form's valid filters, newest first."""
    rows = AuditEntry.objects.visible_to(user)
    data = form.cleaned_data if form.is_valid() else {}
    if actor := (data.get("actor") or "").strip():
        rows = rows.filter(
            Q(actor__username__iexact=actor) | Q(actor__display_name__icontains=actor)
        )
    if app := data.get("app"):
        rows = rows.filter(action__startswith=f"{app}.")
    if event := (data.get("event") or "").strip():
        if event.count(".") == 2:
            rows = rows.filter(action=event)
        else:
            rows = rows.filter(action__startswith=event.rstrip(".") + ".")
    if target_type := data.get("target_type"):
        rows = rows.filter(target_type=target_type)
    if target_id := (data.get("target_id") or "").strip():
        rows = rows.filter(target_id=target_id)
    if code := data.get("region"):
        region = next((r for r in form.regions if r.code == code), None)
        if region is not None:
            rows = rows.filter(region__path__startswith=region.path)
    if start := data.get("start"):
        rows = rows.filter(at__gte=_day_start(start))
    if end := data.get("end"):
        rows = rows.filter(at__lt=_day_start(end + datetime.timedelta(days=1)))
    return rows.select_related("actor", "region").order_by("-at", "-pk")


@dataclass
class LogRow:
    """One audit row as the page shows it: the record's name and link when it still exists."""

    entry: AuditEntry
    type_label: str
    target_label: str
    target_url: str
    details: list[tuple[str, str]]


def _link(user, model, obj) -> str:
    if hasattr(obj, "get_absolute_url"):
        try:
            return obj.get_absolute_url()
        except (NoReverseMatch, AttributeError, ValueError):
            pass
    if user.is_staff and admin.site.is_registered(model):
        try:
            return reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]
            )
        except NoReverseMatch:
            pass
    return ""


def details(data) -> list[tuple[str, str]]:
    """The row's data (the values before and after, the reason…) as label–text pairs."""
    if not isinstance(data, dict):
        return [("", json.dumps(data, ensure_ascii=False))]
    # PostgreSQL's jsonb keeps no key order: show "from"/"before" before "to"/"after", the rest by name.
    first = {"from": 0, "before": 0, "to": 1, "after": 1}
    return [
        (str(key), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for key, value in sorted(data.items(), key=lambda item: (first.get(item[0], 2), item[0]))
    ]


def log_rows(user, entries) -> list[LogRow]:
    """The page's rows, with each record read once per record type (not once per row)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.target_id.isdigit():
            wanted[entry.target_type].add(int(entry.target_id))
    found: dict[tuple[str, str], object] = {}
    models = {}
    for label, ids in wanted.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        models[label] = model
        # A record's name often reads its parents (a target's indicator and region): join them here
        # rather than one query per row.
        for pk, obj in model._base_manager.select_related().in_bulk(ids).items():
            found[(label, str(pk))] = obj
    rows = []
    for entry in entries:
        model = models.get(entry.target_type)
        obj = found.get((entry.target_type, entry.target_id))
        rows.append(
            LogRow(
                entry=entry,
                type_label=str(model._meta.verbose_name) if model else entry.target_type,
                target_label=str(obj) if obj is not None else "",
                target_url=_link(user, model, obj) if obj is not None else "",
                details=details(entry.data),
            )
        )
    return rows


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: QuerySet[AuditEntry]) -> Iterator[str]:
    """The rows as CSV lines (UTF-8 with a BOM for Excel), times in Asia/Shanghai; every cell through the
    formula guard, since summaries and data hold text people typed."""
    writer = GuardedCSVWriter(_Echo())
    yield "\ufeff" + writer.writerow(
        [
            _("时间"),
            _("操作人账号"),
            _("操作人"),
            _("事件"),
            _("对象类型"),
            _("对象编号"),
            _("区域"),
            _("摘要"),
            _("详情"),
        ]
    )
    for entry in rows.iterator(chunk_size=2000):
        actor = entry.actor
        yield writer.writerow(
            [
                entry.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                actor.username if actor else "",
                str(actor) if actor else _("系统"),
                entry.action,
                entry.target_type,
                entry.target_id,
                entry.region.name if entry.region else "",
                entry.summary,
                json.dumps(entry.data, ensure_ascii=False),
            ]
        )

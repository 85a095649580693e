"""Forms of the booking pages: they parse and explain; the services decide."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.booking.models import Booking, BookingRules


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class RulesForm(forms.ModelForm):
    """The owner's booking rules, in four groups with help text."""

    class Meta:
        model = BookingRules
        fields = [
            "enabled",
            "mode",
            "training_required",
            "needs_approval",
            "min_minutes",
            "max_minutes",
            "lead_hours",
            "horizon_days",
            "opens_at",
            "closes_at",
            "weekly_quota_hours",
            "cancel_window_hours",
            "late_cancel_fee",
            "no_show_minutes",
            "no_show_fee",
            "unit",
            "internal_rate",
            "external_rate",
            "partner_rate",
        ]
        widgets = {"opens_at": TimeInput(format="%H:%M"), "closes_at": TimeInput(format="%H:%M")}
        help_texts = {
            "enabled": _("关闭后仪器在资源库中不显示“可预约”，已有预约不受影响。"),
            "mode": _("自主上机：用户自己操作；代测：用户送样，由机组人员测试。"),
            "training_required": _(
                "勾选后，只有记录在下方“已培训人员”中且未过期的用户才能自主上机预约。"
            ),
            "needs_approval": _(
                "勾选后，预约提交即占用时段（待审批），由您确认或不予通过；不勾选则即时确认。"
            ),
            "min_minutes": _("例如 30。"),
            "max_minutes": _("例如 480（8 小时）。"),
            "lead_hours": _("例如 2：至少提前 2 小时预约。"),
            "horizon_days": _("例如 60：只能预约 60 天以内的时段。"),
            "weekly_quota_hours": _("每位用户每周在本仪器上最多预约的小时数；0 表示不限。"),
            "cancel_window_hours": _("例如 24：开始前 24 小时以内取消的，收取逾期取消费。"),
            "late_cancel_fee": _("0 表示不收取。"),
            "no_show_minutes": _("开始后多少分钟仍未签到，预约自动释放并按爽约处理。"),
            "no_show_fee": _("0 表示不收取。"),
            "unit": _("按小时计费按实际使用分钟折算；按样品计费按实际测试样品数。"),
            "internal_rate": _("本单位成员的价格。"),
            "external_rate": _("其他单位的价格。"),
            "partner_rate": _("联盟伙伴区域（如长三角通用通兑）单位的价格。"),
        }

    GROUPS = [
        (_("使用方式"), ["enabled", "mode", "training_required", "needs_approval"]),
        (
            _("可预约时段"),
            [
                "opens_at",
                "closes_at",
                "min_minutes",
                "max_minutes",
                "lead_hours",
                "horizon_days",
                "weekly_quota_hours",
            ],
        ),
        (
            _("取消与爽约"),
            ["cancel_window_hours", "late_cancel_fee", "no_show_minutes", "no_show_fee"],
        ),
        (_("收费标准（价格分组）"), ["unit", "internal_rate", "external_rate", "partner_rate"]),
    ]

    def groups(self):
        return [(label, [self[name] for name in names]) for label, names in self.GROUPS]

    def _post_clean(self):
        """The service validates and saves; the form only parses."""


class TrainingForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"), max_length=150, help_text=_("培训合格用户的登录名，例如 zhangsan。")
    )
    trained_on = forms.DateField(label=_("培训日期"), widget=DateInput)
    lapses_on = forms.DateField(
        label=_("有效期至"), required=False, widget=DateInput, help_text=_("留空表示长期有效。")
    )


class ClosureForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("停机开始"), widget=DateTimeInput)
    ends_at = forms.DateTimeField(label=_("停机结束"), widget=DateTimeInput)
    reason = forms.CharField(
        label=_("原因"), max_length=200, help_text=_("例如：年度维护保养、更换电子枪灯丝。")
    )


class BookingForm(forms.Form):
    """A slot or a sample-testing request: the day, the start and end time, who pays."""

    organization = forms.TypedChoiceField(label=_("付费单位"), coerce=int)
    day = forms.DateField(label=_("日期"), widget=DateInput)
    start = forms.TimeField(label=_("开始时间"), widget=TimeInput(format="%H:%M"))
    end = forms.TimeField(label=_("结束时间"), widget=TimeInput(format="%H:%M"))
    samples = forms.IntegerField(label=_("样品数"), min_value=1, max_value=1000, required=False)
    purpose = forms.CharField(
        label=_("实验内容/样品说明"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：铝合金断口形貌观察，3 个样品，需能谱分析。"),
    )
    voucher = forms.TypedChoiceField(
        label=_("使用创新券"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, organizations=(), operated=False, vouchers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [(o.pk, o.name) for o in organizations]
        self.operated = operated
        if operated:
            self.fields["samples"].required = True
        else:
            del self.fields["samples"]
        if vouchers:
            self.fields["voucher"].choices = [("", _("不使用"))] + [
                (v.pk, str(v)) for v in vouchers
            ]
        else:
            del self.fields["voucher"]

    def clean(self):
        data = super().clean()
        day, start, end = data.get("day"), data.get("start"), data.get("end")
        if day and start and end:
            zone = timezone.get_default_timezone()
            data["starts_at"] = timezone.make_aware(datetime.combine(day, start), zone)
            ends_at = timezone.make_aware(datetime.combine(day, end), zone)
            if end == time(0):
                ends_at += timedelta(days=1)
            if ends_at <= data["starts_at"]:
                self.add_error("end", _("结束时间须晚于开始时间"))
            data["ends_at"] = ends_at
        return data

    @property
    def kind(self) -> str:
        return Booking.Kind.SAMPLE if self.operated else Booking.Kind.SLOT


class RejectForm(forms.Form):
    note = forms.CharField(label=_("不予通过的原因"), max_length=300)


class UseForm(forms.Form):
    actual_start = forms.DateTimeField(label=_("实际开始"), widget=DateTimeInput, required=False)
    actual_end = forms.DateTimeField(label=_("实际结束"), widget=DateTimeInput, required=False)
    samples = forms.IntegerField(label=_("实际样品数"), min_value=0, max_value=1000, required=False)


class FreeSearchForm(forms.Form):
    """When the user needs an instrument: one day and a time window."""

    day = forms.DateField(label=_("日期"), widget=DateInput)
    start = forms.TimeField(label=_("开始"), widget=TimeInput(format="%H:%M"))
    end = forms.TimeField(label=_("结束"), widget=TimeInput(format="%H:%M"))
    q = forms.CharField(label=_("仪器名称"), required=False, max_length=50)

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("start") and data.get("end"):
            if data["end"] <= data["start"]:
                self.add_error("end", _("结束时间须晚于开始时间"))
            else:
                zone = timezone.get_default_timezone()
                starts_at = timezone.make_aware(datetime.combine(data["day"], data["start"]), zone)
                if starts_at < timezone.now():
                    self.add_error("start", _("该时段已经开始或已过去，请选择以后的时间"))
                else:
                    data["starts_at"] = starts_at
                    data["ends_at"] = timezone.make_aware(
                        datetime.combine(data["day"], data["end"]), zone
                    )
        return data

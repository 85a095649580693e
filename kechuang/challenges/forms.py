"""Forms for the challenge pages. Rows a user lists (indicators, team, plan, milestones) are typed one per
line with fields separated by ``|``, which keeps the pages plain HTML."""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.permissions import managed_regions
from kechuang.challenges.models import SHANGHAI, Application, Indicator
from kechuang.core.models import Region
from kechuang.directory.models import Organization


def _rows(text: str, min_parts: int, max_parts: int) -> list[list[str]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("\uff5c", "|").split("|")]
        if not min_parts <= len(parts) <= max_parts:
            raise forms.ValidationError(
                _("第 %(n)d 行应有 %(a)d–%(b)d 项,以 | 分隔")
                % {"n": number, "a": min_parts, "b": max_parts}
            )
        rows.append(parts + [""] * (max_parts - len(parts)))
    return rows


def _decimal(value: str, number: int) -> Decimal:
    try:
        return Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise forms.ValidationError(_("第 %(n)d 行的数值无效") % {"n": number}) from None


COMPARATORS = {
    "≥": Indicator.Comparator.AT_LEAST,
    ">=": Indicator.Comparator.AT_LEAST,
    "≤": Indicator.Comparator.AT_MOST,
    "<=": Indicator.Comparator.AT_MOST,
}


class ProposalForm(forms.Form):
    """A task proposed by a member of the proposing organisation. Amounts are yuan with two decimals; the
    completion deadline must lie after today in Beijing time (Asia/Shanghai)."""

    proposer = forms.ModelChoiceField(Organization.objects.none(), label=_("出题单位"))
    title = forms.CharField(label=_("任务名称"), max_length=200)
    problem = forms.CharField(label=_("需解决的问题"), widget=forms.Textarea(attrs={"rows": 4}))
    indicators = forms.CharField(
        label=_("技术指标"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一项:指标名称 | ≥ 或 ≤ | 目标值 | 单位,如:排气量 | ≥ | 300 | L/min"),
    )
    bounty = forms.DecimalField(label=_("榜金(元)"), max_digits=14, decimal_places=2)
    issuer_share = forms.DecimalField(
        label=_("出题单位出资(元)"), max_digits=14, decimal_places=2, min_value=0
    )
    government_share = forms.DecimalField(
        label=_("政府资助(元)"), max_digits=14, decimal_places=2, min_value=0
    )
    completion_deadline = forms.DateField(
        label=_("完成期限(北京时间)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    eligible_kinds = forms.MultipleChoiceField(
        label=_("可揭榜主体类型(不选表示不限)"),
        choices=Organization.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    eligible_region = forms.ModelChoiceField(
        Region.objects.order_by("path"),
        label=_("牵头单位所在区域(不选表示不限)"),
        required=False,
    )
    min_tier = forms.ChoiceField(
        label=_("牵头企业最低培育梯次"),
        choices=[("", _("不限"))] + [c for c in Organization.Tier.choices if c[0]],
        required=False,
    )
    credit_code_required = forms.BooleanField(
        label=_("揭榜单位(含联合体成员)须有统一社会信用代码"), required=False
    )
    qualifications = forms.CharField(
        label=_("其他资质要求"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("上面未涵盖的要求,由形式审查人工核对"),
    )
    ip_terms = forms.CharField(
        label=_("知识产权约定"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposer"].queryset = organizations

    def clean_bounty(self) -> Decimal:
        bounty = self.cleaned_data["bounty"]
        if bounty <= 0:
            raise forms.ValidationError(_("榜金必须大于零"))
        return bounty

    def clean_completion_deadline(self) -> datetime.date:
        deadline = self.cleaned_data["completion_deadline"]
        if deadline <= timezone.now().astimezone(SHANGHAI).date():
            raise forms.ValidationError(_("完成期限必须晚于今天(北京时间)"))
        return deadline

    def clean(self) -> dict:
        data = super().clean()
        bounty, issuer, government = (
            data.get("bounty"),
            data.get("issuer_share"),
            data.get("government_share"),
        )
        if None not in (bounty, issuer, government) and issuer + government != bounty:
            self.add_error("government_share", _("出题单位出资与政府资助之和必须等于榜金"))
        return data

    def clean_indicators(self) -> list[dict]:
        parsed = []
        for number, (name, comparator, target, unit) in enumerate(
            _rows(self.cleaned_data["indicators"], 4, 4), start=1
        ):
            if comparator not in COMPARATORS or not name or not unit:
                raise forms.ValidationError(_("第 %(n)d 行格式不正确") % {"n": number})
            parsed.append(
                {
                    "name": name,
                    "comparator": COMPARATORS[comparator],
                    "target": _decimal(target, number),
                    "unit": unit,
                }
            )
        if not parsed:
            raise forms.ValidationError(_("至少需要一项技术指标"))
        return parsed


class DepartmentProposalForm(ProposalForm):
    """An operator proposes a task for a department (出题部门): only organisations of the operator's own
    region tree can be chosen."""

    def __init__(self, *args, operator, **kwargs):
        organizations = (
            Organization.objects.published()
            .filter(region__in=managed_regions(operator))
            .order_by("name")
        )
        super().__init__(*args, organizations=organizations, **kwargs)
        self.fields["proposer"].label = _("出题部门(单位)")
        self.fields["proposer"].error_messages["invalid_choice"] = _(
            "请选择您运营区域内的部门或单位"
        )


class ListForm(forms.Form):
    title = forms.CharField(label=_("榜单名称"), max_length=200)
    issuer = forms.CharField(label=_("发榜单位"), max_length=100)
    description = forms.CharField(
        label=_("榜单说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    opens_on = forms.DateField(
        label=_("揭榜开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closes_on = forms.DateField(
        label=_("揭榜截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    first_tranche_min_percent = forms.DecimalField(
        label=_("首期拨付最低比例(%)"), initial=60, min_value=0, max_value=100
    )
    objection_days = forms.IntegerField(label=_("公示期(天)"), initial=7, min_value=1)


class ApplicationForm(forms.Form):
    mode = forms.ChoiceField(label=_("揭榜方式"), choices=Application.Mode.choices)
    technical_route = forms.CharField(label=_("技术路线"), widget=forms.Textarea(attrs={"rows": 5}))
    budget_total = forms.DecimalField(
        label=_("总预算(元)"), max_digits=14, decimal_places=2, min_value=0
    )
    team = forms.CharField(
        label=_("团队成员"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一人:姓名 | 职称/职务 | 单位 | 分工(不限学历、年龄、职称)"),
    )
    plan = forms.CharField(
        label=_("实施计划"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个里程碑:名称 | 签约后月数 | 交付成果"),
    )
    declaration_accepted = forms.BooleanField(
        label=_("本单位承诺所填信息真实,无知识产权纠纷,接受评审结果"), required=False
    )

    def clean_team(self) -> list[dict]:
        return [
            {"name": n, "title": t, "affiliation": a, "duty": d}
            for n, t, a, d in _rows(self.cleaned_data["team"], 1, 4)
        ]

    def clean_plan(self) -> list[dict]:
        plan = []
        for number, (title, months, deliverable) in enumerate(
            _rows(self.cleaned_data["plan"], 2, 3), start=1
        ):
            if not months.isdigit():
                raise forms.ValidationError(_("第 %(n)d 行的月数无效") % {"n": number})
            plan.append({"title": title, "months": int(months), "deliverable": deliverable})
        return plan


class MemberForm(forms.Form):
    organization = forms.ModelChoiceField(
        Organization.objects.published().order_by("name"), label=_("成员单位")
    )
    responsibility = forms.CharField(label=_("分工"), required=False, max_length=200)
    work_share = forms.DecimalField(label=_("任务分工占比(%)"), min_value=0, max_value=100)
    budget_share = forms.DecimalField(
        label=_("预算份额(元)"), max_digits=14, decimal_places=2, min_value=0
    )


class ScoreForm(forms.Form):
    """One 0–100 mark per rubric criterion (field ``c<id>``) and a comment."""

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"c{criterion.pk}"] = forms.DecimalField(
                label=f"{criterion.name}({criterion.weight.normalize()}%)",
                min_value=0,
                max_value=100,
                decimal_places=2,
            )
        self.fields["comment"] = forms.CharField(
            label=_("评审意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
        )

    def marks(self) -> dict[int, Decimal]:
        return {c.pk: self.cleaned_data[f"c{c.pk}"] for c in self.criteria}


class SignForm(forms.Form):
    first_tranche = forms.DecimalField(
        label=_("首期拨付(元,签约即拨付)"), max_digits=14, decimal_places=2
    )
    milestones = forms.CharField(
        label=_("里程碑与拨付"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一个:里程碑 | 计划完成日期(YYYY-MM-DD) | 验收后拨付金额(元)"),
    )

    def clean_milestones(self) -> list[dict]:
        parsed = []
        for number, (title, due_on, amount) in enumerate(
            _rows(self.cleaned_data["milestones"], 3, 3), start=1
        ):
            try:
                due = datetime.date.fromisoformat(due_on)
            except ValueError:
                raise forms.ValidationError(_("第 %(n)d 行的日期无效") % {"n": number}) from None
            parsed.append({"title": title, "due_on": due, "amount": _decimal(amount, number)})
        return parsed


class FinalAcceptanceForm(forms.Form):
    """One measured value per indicator (field ``i<id>``)."""

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            self.fields[f"i{indicator.pk}"] = forms.DecimalField(
                label=str(indicator), max_digits=16, decimal_places=4
            )

    def measured(self) -> dict[int, Decimal]:
        return {i.pk: self.cleaned_data[f"i{i.pk}"] for i in self.indicators}

"""Forms for the challenge pages. Lists a user types (indicators, team, plan, milestones) are add-a-row
inputs (:mod:`kechuang.core.rows`) whose cleaned value is a list of dicts, the shape the services take;
organisations joining a consortium are picked by typing (:class:`OrganizationPicker`)."""

import datetime
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.permissions import managed_regions
from kechuang.challenges.models import Application, Indicator
from kechuang.challenges.services import deadline_problem
from kechuang.core.models import Region
from kechuang.core.money import AmountField
from kechuang.core.params import validate_platform_date
from kechuang.core.rows import Column, RowsField
from kechuang.directory.models import Organization

INDICATOR_COLUMNS = (
    Column("name", _("指标名称"), placeholder=_("如：额定排气量"), max_length=200, size="wide"),
    Column(
        "comparator",
        _("要求"),
        kind="choice",
        choices=tuple(Indicator.Comparator.choices),
        size="narrow",
    ),
    Column("target", _("目标值"), kind="decimal", placeholder=_("如：300"), size="narrow"),
    Column("unit", _("单位"), placeholder=_("如：L/min"), max_length=30, size="narrow"),
)
TEAM_COLUMNS = (
    Column("name", _("姓名"), placeholder=_("如：李明"), max_length=50, size="narrow"),
    Column("title", _("职称/职务"), required=False, placeholder=_("如：高级工程师"), max_length=50),
    Column("affiliation", _("单位"), required=False, placeholder=_("如：温州大学"), max_length=100),
    Column(
        "duty",
        _("分工"),
        required=False,
        placeholder=_("如：控制算法"),
        max_length=200,
        size="wide",
    ),
)
PLAN_COLUMNS = (
    Column("title", _("里程碑"), placeholder=_("如：样机研制完成"), max_length=200, size="wide"),
    Column(
        "months",
        _("签约后第几个月"),
        kind="integer",
        min_value=1,
        placeholder=_("如：12"),
        size="narrow",
    ),
    Column(
        "deliverable",
        _("交付成果"),
        required=False,
        placeholder=_("如：样机一台及测试报告"),
        max_length=300,
        size="wide",
    ),
)
MILESTONE_COLUMNS = (
    Column(
        "title", _("里程碑"), placeholder=_("如：样机通过台架试验"), max_length=200, size="wide"
    ),
    Column("due_on", _("计划完成日期"), kind="date"),
    Column(
        "amount",
        _("验收后拨付（元）"),
        kind="decimal",
        required=False,
        min_value=Decimal(0),
        placeholder=_("如：1000000"),
    ),
)


class Grouped:
    """A form whose ``fieldsets`` — (legend, field names) pairs — the page shows as groups."""

    fieldsets: tuple = ()

    def grouped(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.fieldsets]


class ProposalForm(Grouped, forms.Form):
    """A task proposed by a member of the proposing organisation. Amounts are yuan with two decimals; the
    completion deadline must lie after today in Beijing time (Asia/Shanghai). ``fieldsets`` groups the
    fields on the page."""

    fieldsets = (
        (_("任务内容"), ("proposer", "title", "problem")),
        (_("技术指标"), ("indicators",)),
        (_("榜金与期限"), ("bounty", "issuer_share", "government_share", "completion_deadline")),
        (
            _("揭榜条件"),
            (
                "eligible_kinds",
                "eligible_region",
                "min_tier",
                "credit_code_required",
                "qualifications",
                "ip_terms",
            ),
        ),
    )

    proposer = forms.ModelChoiceField(
        Organization.objects.none(), label=_("出题单位"), empty_label=_("请选择出题单位")
    )
    title = forms.CharField(
        label=_("任务名称"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如：新能源车用集成式电控气源装置")}),
        help_text=_("一句话说清要攻克的技术，30 字以内为宜。"),
    )
    problem = forms.CharField(
        label=_("需解决的问题"),
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "placeholder": _(
                    "如：新能源商用车取消发动机后需独立电动气源，现有方案能耗高、噪声大、体积大……"
                ),
            }
        ),
        help_text=_("写清现状、难点和应用场景：揭榜方据此判断能否解决。"),
    )
    indicators = RowsField(
        INDICATOR_COLUMNS,
        label=_("技术指标"),
        add_label=_("添加指标"),
        help_text=_("每项指标须可测量，验收时逐项实测，如：额定排气量 ≥ 300 L/min。"),
        error_messages={"required": _("至少需要一项可量化的技术指标")},
    )
    # the form's own check says why zero or less is refused (榜金必须大于零)
    bounty = AmountField(
        label=_("榜金（元）"), min_value=None, help_text=_("如：8000000（即 800 万元）")
    )
    issuer_share = AmountField(label=_("出题单位出资（元）"))
    government_share = AmountField(
        label=_("政府资助（元）"),
        help_text=_("出题单位出资与政府资助之和应等于榜金。"),
    )
    completion_deadline = forms.DateField(
        validators=[validate_platform_date],
        label=_("完成期限（北京时间）"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    eligible_kinds = forms.MultipleChoiceField(
        label=_("可揭榜主体类型"),
        choices=Organization.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示不限。"),
    )
    eligible_region = forms.ModelChoiceField(
        Region.objects.order_by("path"),
        label=_("牵头单位所在区域"),
        required=False,
        empty_label=_("不限区域"),
    )
    min_tier = forms.ChoiceField(
        label=_("牵头企业最低培育梯次"),
        choices=[("", _("不限"))] + [c for c in Organization.Tier.choices if c[0]],
        required=False,
    )
    credit_code_required = forms.BooleanField(
        label=_("揭榜单位（含联合体成员）须有统一社会信用代码"), required=False
    )
    qualifications = forms.CharField(
        label=_("其他资质要求"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如：具有汽车零部件研发经验")}),
        help_text=_("上面未涵盖的要求，由形式审查人工核对。"),
    )
    ip_terms = forms.CharField(
        label=_("知识产权约定"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": _("如：知识产权归揭榜方所有，出题单位享有优先实施许可权。"),
            }
        ),
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposer"].queryset = organizations
        if organizations is not None and organizations.count() == 1:
            self.fields["proposer"].initial = organizations.get().pk

    def clean_bounty(self) -> Decimal:
        bounty = self.cleaned_data["bounty"]
        if bounty <= 0:
            raise forms.ValidationError(_("榜金必须大于零"))
        return bounty

    def clean_completion_deadline(self) -> datetime.date:
        deadline = self.cleaned_data["completion_deadline"]
        problem = deadline_problem(deadline, timezone.now())  # the service's own rule
        if problem:
            raise forms.ValidationError(problem)
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
        self.fields["proposer"].label = _("出题部门（单位）")
        self.fields["proposer"].empty_label = _("请选择出题部门或单位")
        self.fields["proposer"].error_messages["invalid_choice"] = _(
            "请选择您运营区域内的部门或单位"
        )


MAX_OBJECTION_DAYS = 90  # a 公示 period is days or weeks; beyond this is a typing slip


class ListForm(Grouped, forms.Form):
    fieldsets = (
        (_("榜单信息"), ("title", "issuer", "description")),
        (
            _("揭榜期与拨付规则"),
            ("opens_on", "closes_on", "first_tranche_min_percent", "objection_days"),
        ),
    )

    title = forms.CharField(
        label=_("榜单名称"),
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": _("如：瑞安市2026年度产业关键核心技术攻关榜单")}
        ),
    )
    issuer = forms.CharField(
        label=_("发榜单位"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("如：瑞安市科学技术局")}),
    )
    description = forms.CharField(
        label=_("榜单说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    opens_on = forms.DateField(
        validators=[validate_platform_date],
        label=_("揭榜开始日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    closes_on = forms.DateField(
        validators=[validate_platform_date],
        label=_("揭榜截止日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("当日 24:00（北京时间）截止。"),
    )
    first_tranche_min_percent = forms.DecimalField(
        label=_("首期拨付最低比例（%）"), initial=60, min_value=0, max_value=100
    )
    objection_days = forms.IntegerField(
        label=_("公示期（天）"), initial=7, min_value=1, max_value=MAX_OBJECTION_DAYS
    )


class ApplicationForm(Grouped, forms.Form):
    """The content of a draft application. Alone, nothing else is needed: the lead carries the whole work
    and budget; a consortium or project group adds its members on the same page."""

    fieldsets = (
        (_("揭榜方式与技术路线"), ("mode", "technical_route", "budget_total")),
        (_("团队成员"), ("team",)),
        (_("实施计划"), ("plan",)),
        (_("承诺"), ("declaration_accepted",)),
    )

    mode = forms.ChoiceField(
        label=_("揭榜方式"),
        choices=Application.Mode.choices,
        widget=forms.RadioSelect,
        help_text=_("独立揭榜由本单位承担全部任务和预算；创新联合体或项目群可添加成员单位。"),
    )
    technical_route = forms.CharField(
        label=_("技术路线"),
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": _(
                    "如：采用无油涡旋压缩与集成电控方案，第一年完成样机并通过台架试验，第二年装车验证……"
                ),
            }
        ),
        help_text=_(
            "好的申请写清：技术方案及其先进性、已有基础（专利、样机、论文）、如何逐项达到指标、主要风险与对策。"
        ),
    )
    budget_total = AmountField(label=_("总预算（元）"), help_text=_("如：4000000（即 400 万元）"))
    team = RowsField(
        TEAM_COLUMNS,
        label=_("团队成员"),
        add_label=_("添加成员"),
        help_text=_("不限学历、年龄、职称；请写明每人的分工。"),
        error_messages={"required": _("请至少填写一名团队成员")},
    )
    plan = RowsField(
        PLAN_COLUMNS,
        label=_("实施计划"),
        add_label=_("添加里程碑"),
        help_text=_("按时间顺序列出里程碑及其交付成果，如：第 12 个月完成样机。"),
        error_messages={"required": _("请至少填写一个里程碑")},
    )
    declaration_accepted = forms.BooleanField(
        label=_("本单位承诺所填信息真实，无知识产权纠纷，接受评审结果"), required=False
    )


class OrganizationPicker(forms.Widget):
    """Pick a published organisation by typing its name or credit code: a search box asks
    :func:`kechuang.challenges.views.organization_picker` for options as one types (the pattern of the
    demands' expert picker); the chosen option stays listed while the search changes. ``exclude_for``
    names the application whose members are left out of the options."""

    template_name = "challenges/widgets/organization_picker.html"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.application_id = None

    def get_context(self, name, value, attrs):
        from kechuang.challenges.queries import picked_organizations

        context = super().get_context(name, value, attrs)
        context["widget"].update(
            picker_url=reverse("challenges:organization_picker"),
            application_id=self.application_id,
            options=picked_organizations(name, str(value or "")),
        )
        return context


class MemberForm(forms.Form):
    organization = forms.ModelChoiceField(
        Organization.objects.published(),
        label=_("成员单位"),
        widget=OrganizationPicker(),
        error_messages={
            "required": _("请搜索并选择成员单位"),
            "invalid_choice": _("单位不存在或未发布"),
        },
    )
    responsibility = forms.CharField(
        label=_("分工"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如：台架测试与可靠性验证")}),
    )
    work_share = forms.DecimalField(
        label=_("任务分工占比（%）"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"placeholder": _("如：30"), "class": "input-short"}),
    )
    budget_share = AmountField(label=_("预算份额（元）"))

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        if application is not None:
            # New members come from the published directory; those already in keep their row editable.
            self.fields["organization"].queryset = Organization.objects.filter(
                Q(pk__in=Organization.objects.published().values("pk"))
                | Q(pk__in=application.members.values("organization_id"))
            )
            self.fields["organization"].widget.application_id = application.pk


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
    first_tranche = AmountField(label=_("首期拨付（元，签约即拨付）"))
    milestones = RowsField(
        MILESTONE_COLUMNS,
        label=_("里程碑与拨付"),
        add_label=_("添加里程碑"),
        help_text=_("每个里程碑验收通过后拨付所填金额；不填金额的里程碑可以稍后安排拨付。"),
        error_messages={"required": _("任务书至少需要一个里程碑")},
    )


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

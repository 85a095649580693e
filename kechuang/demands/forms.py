"""Forms for the demand and engagement pages. They parse input only; the services decide."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import IndustryChain, Region, TechField
from kechuang.core.money import AmountField, AmountInput
from kechuang.core.params import validate_platform_date
from kechuang.demands.attachments import ALLOWED_EXTENSIONS, check_attachment
from kechuang.demands.models import CooperationMode, Demand, MatchType
from kechuang.demands.services import DemandInput
from kechuang.directory.models import Expert, Organization


class IsoDateInput(forms.DateInput):
    """A browser date picker. It only shows ISO values (``2026-12-05``), whatever the active language's
    date format, so the value is always written that way."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


DESCRIPTION_PROMPT = _(
    "1. 要解决的问题：哪个产品或工序，出了什么问题？\n"
    "2. 目前的状况：现有工艺、设备和材料，已经试过的办法和效果。\n"
    "3. 目标指标：希望达到的参数，例如废品率从 8% 降到 2% 以下。\n"
    "4. 现有条件：可提供的样品、数据、试验场地等。"
)


class DemandForm(forms.Form):
    """The enterprise's demand, in the groups the page shows (:attr:`FIELDSETS`), each field with a prompt,
    an example where it helps and a Chinese message when it is wrong."""

    FIELDSETS = [
        (
            _("要解决的问题"),
            _("写清问题、现状和目标指标，平台据此为您匹配专家、成果、机构、仪器和服务。"),
            ["organization", "title", "description"],
        ),
        (
            _("所属领域"),
            _("选填。选了产业链，会优先推荐该产业链工程师资源池里的工程师。"),
            ["industry_chain", "field"],
        ),
        (
            _("预算、期限与合作方式"),
            _("选填。不确定的可以留空，页面显示为“面议”。"),
            ["budget_min", "budget_max", "deadline", "cooperation_modes"],
        ),
        (
            _("联系方式与公开范围"),
            _("联系方式只在对方接受对接后才向对方显示。"),
            ["contact_name", "contact_phone", "contact_email", "visibility", "attachment"],
        ),
    ]
    PAIRS = [("budget_min", "budget_max"), ("contact_phone", "contact_email")]

    organization = forms.ModelChoiceField(
        Organization.objects.none(),
        label=_("需求企业"),
        empty_label=_("请选择发布需求的企业"),
        error_messages={"required": _("请选择发布需求的企业。")},
    )
    title = forms.CharField(
        label=_("需求名称"),
        max_length=200,
        help_text=_("一句话说清要解决的技术问题，20 字左右。"),
        error_messages={"required": _("请填写需求名称。")},
        widget=forms.TextInput(
            attrs={"placeholder": _("例如：汽车制动阀铝合金压铸件气孔缺陷控制")}
        ),
    )
    description = forms.CharField(
        label=_("需求描述"),
        help_text=_("请不要在这里写电话、邮箱等联系方式。"),
        error_messages={"required": _("请描述要解决的问题、现状和目标指标。")},
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": DESCRIPTION_PROMPT}),
    )
    industry_chain = forms.ModelChoiceField(
        IndustryChain.objects.order_by("name"),
        label=_("产业链"),
        required=False,
        empty_label=_("请选择所属产业链（选填）"),
        error_messages={"invalid_choice": _("请从列表中选择产业链。")},
    )
    field = forms.TypedChoiceField(
        label=_("技术领域"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("可在上方输入文字筛选，例如“材料”或“机械”。"),
        error_messages={"invalid_choice": _("请从列表中选择技术领域。")},
        widget=forms.Select(attrs={"data-searchable": "", "data-search-label": _("筛选技术领域")}),
    )
    budget_min = AmountField(
        label=_("预算下限（元）"),
        required=False,
        error_messages={
            "invalid": _("请输入金额数字，例如 300000。"),
            "min_value": _("预算不能为负数。"),
        },
        widget=AmountInput(attrs={"placeholder": _("例如 300000")}),
    )
    budget_max = AmountField(
        label=_("预算上限（元）"),
        required=False,
        error_messages={
            "invalid": _("请输入金额数字，例如 600000。"),
            "min_value": _("预算不能为负数。"),
        },
        widget=AmountInput(attrs={"placeholder": _("例如 600000")}),
    )
    deadline = forms.DateField(
        validators=[validate_platform_date],
        label=_("期望完成日期"),
        required=False,
        error_messages={"invalid": _("请选择有效的日期。")},
        widget=IsoDateInput(),
    )
    cooperation_modes = forms.MultipleChoiceField(
        label=_("合作方式"),
        choices=CooperationMode.choices,
        required=False,
        help_text=_("可多选。"),
        widget=forms.CheckboxSelectMultiple,
    )
    visibility = forms.ChoiceField(
        label=_("公开范围"),
        choices=Demand.Visibility.choices,
        initial=Demand.Visibility.PUBLIC,
        help_text=_("涉及商业秘密的需求可选“仅运营方与受邀专家可见”。"),
    )
    contact_name = forms.CharField(
        label=_("联系人"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("例如：王工")}),
    )
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": _("例如：0577-65551234")}),
    )
    contact_email = forms.EmailField(
        label=_("联系邮箱"),
        required=False,
        error_messages={"invalid": _("请输入有效的邮箱地址。")},
    )
    attachment = forms.FileField(
        label=_("附件"),
        required=False,
        help_text=_("可上传图纸、检测报告、现场照片：PDF、图片或 Office 文件。"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_EXTENSIONS)}),
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        organizations = organizations if organizations is not None else Organization.objects.none()
        self.fields["organization"].queryset = organizations
        if len(organizations) == 1:  # nothing to choose: the one enterprise is shown, not asked for
            self.fields["organization"].widget = forms.HiddenInput()
            self.only_organization = organizations[0]
        else:
            self.only_organization = None
        # the demand's own field is offered even where a category is listed by its discipline alone
        own = self.initial.get("field")
        self.fields["field"].choices = [
            ("", _("请选择技术领域（选填）")),
            *TechField.grouped_choices(keep=[own]),
        ]

    def fieldsets(self):
        """(legend, hint, rows) per group; a row is one bound field or a pair shown side by side."""
        paired = {first: second for first, second in self.PAIRS}
        seconds = set(paired.values())
        groups = []
        for legend, hint, names in self.FIELDSETS:
            rows = []
            for name in names:
                if name in seconds:
                    continue
                rows.append([self[name], self[paired[name]]] if name in paired else [self[name]])
            groups.append((legend, hint, rows))
        return groups

    def clean(self):
        data = super().clean()
        low, high = data.get("budget_min"), data.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", _("预算上限不能低于下限。"))
        return data

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            check_attachment(
                upload
            )  # refuse the whole form, not only the file, before anything is saved
        return upload

    @classmethod
    def initial_from(cls, demand: Demand) -> dict:
        return {
            "organization": demand.organization_id,
            "title": demand.title,
            "description": demand.description,
            "industry_chain": demand.industry_chain_id,
            "field": demand.field_id,
            "budget_min": demand.budget_min,
            "budget_max": demand.budget_max,
            "deadline": demand.deadline,
            "cooperation_modes": demand.cooperation_modes,
            "visibility": demand.visibility,
            "contact_name": demand.contact_name,
            "contact_phone": demand.contact_phone,
            "contact_email": demand.contact_email,
        }

    def to_input(self) -> DemandInput:
        data = self.cleaned_data
        return DemandInput(
            title=data["title"],
            description=data["description"],
            industry_chain_id=data["industry_chain"].pk if data["industry_chain"] else None,
            field_id=data["field"],
            budget_min=data["budget_min"],
            budget_max=data["budget_max"],
            deadline=data["deadline"],
            cooperation_modes=data["cooperation_modes"],
            visibility=data["visibility"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=300)


class ClaimProfileForm(forms.Form):
    """A password for the account of an expert claiming their profile from an answer link."""

    password1 = forms.CharField(
        label=_("设置密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("确认密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            raise forms.ValidationError(_("两次输入的密码不一致"))
        return data


class RequestForm(forms.Form):
    match_type = forms.ChoiceField(choices=MatchType.choices)
    match_id = forms.IntegerField(min_value=1)
    message = forms.CharField(
        label=_("留言"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MeetingForm(forms.Form):
    at = forms.DateTimeField(
        validators=[validate_platform_date],
        label=_("会谈时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label=_("会谈地点"), max_length=200, required=False)
    link = forms.URLField(label=_("视频会议链接"), required=False, assume_scheme="https")


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("会谈纪要"), widget=forms.Textarea(attrs={"rows": 4}))
    attendees = forms.CharField(label=_("参会人员"), max_length=300, required=False)


class AgreementForm(forms.Form):
    cooperation_mode = forms.ChoiceField(label=_("合作方式"), choices=CooperationMode.choices)
    amount = AmountField(label=_("合作金额（元）"))


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("留言"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class PeriodForm(forms.Form):
    """The console's period. Either end may be left empty (see :func:`kechuang.demands.views._period`), so
    the filter never blocks the page."""

    start = forms.DateField(
        label=_("起始日期"),
        required=False,
        widget=IsoDateInput(),
        validators=[validate_platform_date],
    )
    end = forms.DateField(
        label=_("截止日期"),
        required=False,
        widget=IsoDateInput(),
        validators=[validate_platform_date],
    )


class PoolForm(forms.Form):
    industry_chain = forms.ModelChoiceField(
        IndustryChain.objects.all(), label=_("产业链"), empty_label=_("请选择产业链")
    )
    region = forms.ModelChoiceField(
        Region.objects.none(), label=_("区域"), empty_label=_("请选择区域")
    )
    name = forms.CharField(label=_("名称"), max_length=100, required=False)
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions if regions is not None else Region.objects.none()


class ExpertPicker(forms.Widget):
    """Pick published experts by typing: a search box asks :func:`kechuang.demands.views.expert_picker`
    (the matching engine's expert search) for options as one types; ticked options stay listed while the
    search changes, and the form submits the ticked experts' ids. ``multiple`` picks several."""

    template_name = "demands/widgets/expert_picker.html"
    url_name = "demands:expert_picker"
    options_template = "demands/_expert_options.html"
    placeholder = _("输入姓名、单位或研究方向搜索专家")

    def __init__(self, multiple: bool = False, attrs=None) -> None:
        super().__init__(attrs)
        self.multiple = multiple

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if self.multiple else data.get(name)

    def options(self, name: str, values: list[str]):
        from kechuang.demands.queries import picked_experts

        return picked_experts(name, self.multiple, values)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        values = value if isinstance(value, list | tuple) else [value]
        context["widget"].update(
            picker_url=reverse(self.url_name),
            options_template=self.options_template,
            placeholder=self.placeholder,
            options=self.options(name, [str(v) for v in values if v]),
        )
        return context


class EnterprisePicker(ExpertPicker):
    """Pick one published enterprise by typing its name, products or place (see
    :func:`kechuang.demands.views.enterprise_picker`), instead of knowing its number."""

    url_name = "demands:enterprise_picker"
    options_template = "demands/_enterprise_options.html"
    placeholder = _("输入企业名称、主营产品或所在地搜索企业")

    def options(self, name: str, values: list[str]):
        from kechuang.demands.queries import picked_enterprises

        return picked_enterprises(name, values)


class EnrolForm(forms.Form):
    expert = forms.ModelChoiceField(
        Expert.objects.published(),
        label=_("工程师"),
        widget=ExpertPicker(),
        error_messages={"required": _("请选择工程师"), "invalid_choice": _("专家不存在或未发布")},
    )
    specialities = forms.CharField(label=_("专长环节"), max_length=200, required=False)


class TeamForm(forms.Form):
    society = forms.ModelChoiceField(
        Organization.objects.none(), label=_("组建学会"), empty_label=_("请选择学会")
    )
    name = forms.CharField(label=_("名称"), max_length=100)
    experts = forms.ModelMultipleChoiceField(
        Expert.objects.published(),
        label=_("成员专家"),
        required=False,
        widget=ExpertPicker(multiple=True),
    )
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, societies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["society"].queryset = (
            societies if societies is not None else Organization.objects.none()
        )


class VisitForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        Organization.objects.published().filter(kind=Organization.Kind.ENTERPRISE),
        label=_("走访企业"),
        widget=EnterprisePicker(),
        error_messages={
            "required": _("请搜索并选择要走访的企业。"),
            "invalid_choice": _("只能走访已发布的企业。"),
        },
    )
    planned_on = forms.DateField(
        label=_("计划日期"), widget=IsoDateInput(), validators=[validate_platform_date]
    )


class VisitRecordForm(forms.Form):
    visited_on = forms.DateField(
        label=_("走访日期"), widget=IsoDateInput(), validators=[validate_platform_date]
    )
    outcomes = forms.CharField(label=_("走访成效"), widget=forms.Textarea(attrs={"rows": 3}))
    demands = forms.CharField(
        label=_("收集的需求"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一项：需求名称|需求描述"),
    )

    def clean_demands(self) -> list[tuple[str, str]]:
        rows = []
        for line in self.cleaned_data["demands"].splitlines():
            title, _sep, description = line.partition("|")
            if title.strip():
                rows.append((title.strip(), description.strip()))
        return rows

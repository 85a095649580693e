"""Forms of the indicator pages: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.money import AmountField
from kechuang.indicators import registry
from kechuang.indicators.models import Indicator, SignedProject

YEAR = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)


class IndicatorForm(forms.Form):
    code = forms.SlugField(
        label=_("代号"), max_length=40, help_text=_("英文字母、数字或连字符，如 new-tech-sme")
    )
    name = forms.CharField(
        label=_("指标名称"), max_length=100, help_text=_("如：新增省科技型中小企业")
    )
    unit = forms.CharField(label=_("单位"), max_length=10, help_text=_("如：家、个、项、亿元、%"))
    source = forms.ChoiceField(label=_("取数方式"), required=False)
    direction = forms.ChoiceField(label=_("方向"), choices=Indicator.Direction.choices)
    aggregation = forms.ChoiceField(
        label=_("年度汇总（人工填报）"), choices=Indicator.Aggregation.choices, required=False
    )
    money = forms.BooleanField(label=_("金额（元），仅人工填报"), required=False)
    is_core = forms.BooleanField(label=_("核心指标"), required=False)
    description = forms.CharField(label=_("口径说明"), max_length=300, required=False)
    position = forms.IntegerField(label=_("排序"), min_value=0, max_value=999, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [
            ("", _("人工填报（附佐证，双人审核）")),
            *registry.choices(),
        ]


class TargetForm(forms.Form):
    region = forms.IntegerField(widget=forms.HiddenInput)
    year = YEAR
    value = forms.DecimalField(label=_("目标值"), min_value=0, max_digits=18, decimal_places=2)


class ManualValueForm(forms.Form):
    region = forms.IntegerField(label=_("区域"))
    year = YEAR
    month = forms.IntegerField(label=_("月份"), min_value=1, max_value=12)
    value = forms.DecimalField(label=_("数值"), min_value=0, max_digits=18, decimal_places=2)
    evidence = forms.CharField(
        label=_("佐证材料说明"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_(
            "如：温州市科技局《关于公布2026年第二批省科技型中小企业名单的通知》（温科发〔2026〕12号）"
        ),
    )
    evidence_url = forms.URLField(label=_("佐证链接"), required=False, assume_scheme="https")


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), max_length=300)


class EventForm(forms.Form):
    region = forms.IntegerField(label=_("举办区域"))
    name = forms.CharField(
        label=_("活动名称"),
        max_length=150,
        help_text=_("如：瑞安市科技创新大会暨“科创中国”项目签约仪式"),
    )
    held_on = forms.DateField(label=_("签约日期"), widget=forms.DateInput(attrs={"type": "date"}))
    venue = forms.CharField(label=_("地点"), max_length=150, required=False)
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("项目名称"), max_length=150)
    kind = forms.ChoiceField(label=_("类别"), choices=SignedProject.Kind.choices)
    parties = forms.CharField(
        label=_("签约各方"),
        max_length=300,
        help_text=_("用顿号分隔，如：瑞安市人民政府、中国汽车工程学会"),
    )
    amount = AmountField(label=_("签约金额（元）"), required=False)
    region = forms.IntegerField(label=_("落地区域"))


class AdvanceForm(forms.Form):
    status = forms.ChoiceField(label=_("新进展"), choices=SignedProject.Status.choices)
    on = forms.DateField(
        label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("停滞原因"), max_length=300, required=False)


class PlanForm(forms.Form):
    organization = forms.CharField(
        label=_("企业"), max_length=100, help_text=_("企业全称或统一社会信用代码")
    )
    goals = forms.CharField(
        label=_("培育目标与措施"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    target_year = YEAR
    officer = forms.IntegerField(label=_("服务专员"), required=False)


class VisitForm(forms.Form):
    visited_on = forms.DateField(
        label=_("走访日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label=_("走访记录"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class TierStepForm(forms.Form):
    tier = forms.ChoiceField(
        label=_("认定梯次"),
        choices=[
            ("tech_sme", _("科技型中小企业")),
            ("high_tech", _("高新技术企业")),
            ("leader", _("创新型领军企业")),
        ],
    )
    recognized_on = forms.DateField(
        label=_("认定日期"), widget=forms.DateInput(attrs={"type": "date"})
    )

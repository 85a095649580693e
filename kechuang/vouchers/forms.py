"""Forms of the voucher pages. They parse and explain input in Chinese; the rules live in the services,
which the views call with the cleaned data."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import Federation, Region
from kechuang.core.money import AmountField
from kechuang.directory.models import Instrument, Organization, ServiceItem
from kechuang.vouchers.models import RedemptionEvidence

MONEY = {"min_value": Decimal("0.01")}


class ProgrammeForm(forms.Form):
    region = forms.ModelChoiceField(
        Region.objects.none(), label=_("发券区域"), empty_label=_("请选择发券区域")
    )
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    name = forms.CharField(
        label=_("方案名称"), max_length=100, help_text=_("如：嘉定区2018年度双创券")
    )
    issuer = forms.CharField(
        label=_("发券单位"), max_length=100, help_text=_("如：嘉定区科学技术委员会")
    )
    description = forms.CharField(
        label=_("方案说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    budget = AmountField(label=_("总预算（元）"), **MONEY, help_text=_("如：5000000"))
    annual_cap = AmountField(label=_("每家企业年度上限（元）"), **MONEY, help_text=_("如：300000"))
    copay_percent = forms.DecimalField(
        label=_("创新券支付比例（%）"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        help_text=_("创新券最多支付合格费用的百分比，如：50"),
    )
    face_values = forms.CharField(
        label=_("面额（元）"), help_text=_("以逗号分隔，如：1000，5000，10000")
    )
    validity_days = forms.IntegerField(
        label=_("有效期（天）"), min_value=1, max_value=1098, initial=365
    )
    applications_open = forms.DateField(
        label=_("申请开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    applications_close = forms.DateField(
        label=_("申请截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    service_categories = forms.MultipleChoiceField(
        label=_("可用服务类别"),
        choices=ServiceItem.Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("都不选表示全部类别"),
    )
    instrument_categories = forms.MultipleChoiceField(
        label=_("可用仪器类别"),
        choices=Instrument.Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("都不选表示全部类别"),
    )
    federation = forms.ModelChoiceField(
        Federation.objects.all(),
        label=_("所属联盟"),
        required=False,
        empty_label=_("不属于联盟"),
    )
    partner_regions = forms.ModelMultipleChoiceField(
        Region.objects.none(),
        label=_("通用通兑的伙伴区域"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    minimum_tier = forms.ChoiceField(
        label=_("最低培育梯次"), choices=Organization.Tier.choices, required=False
    )
    max_employees = forms.IntegerField(label=_("职工人数上限"), min_value=1, required=False)
    pair_norm = forms.IntegerField(
        label=_("同一对企业与机构的年度交易次数常值"), min_value=1, max_value=1000, initial=6
    )

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions if regions is not None else Region.objects.none()
        self.fields["partner_regions"].queryset = Region.objects.filter(
            federations__isnull=False
        ).distinct()

    def clean_face_values(self):
        text = self.cleaned_data["face_values"].replace("，", ",").replace("、", ",")
        try:
            values = [Decimal(v.strip()) for v in text.split(",") if v.strip()]
        except ArithmeticError:
            raise forms.ValidationError(_("面额必须是以逗号分隔的金额，如：1000，5000")) from None
        if not values or any(not v.is_finite() or v <= 0 for v in values):
            raise forms.ValidationError(_("面额必须是以逗号分隔的金额，如：1000，5000"))
        return values


class ApplicationForm(forms.Form):
    organization = forms.ModelChoiceField(
        Organization.objects.none(), label=_("申请企业"), empty_label=_("请选择申请企业")
    )
    plan = forms.CharField(
        label=_("使用计划"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("拟购买的服务或仪器机时，如：材料成分检测 10 批次、扫描电镜 20 机时"),
    )
    estimated_fee = AmountField(label=_("预计费用（元）"), **MONEY)
    requested = AmountField(label=_("申请金额（元）"), **MONEY)
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=50)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(
            pk__in=[o.pk for o in organizations]
        )


class DecisionForm(forms.Form):
    granted = AmountField(
        label=_("批准金额（元）"),
        help_text=_("等于申请金额为全额批准，小于为部分批准，0 为不批准"),
    )
    reason = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class EnrolmentForm(forms.Form):
    organization = forms.ModelChoiceField(
        Organization.objects.none(), label=_("服务机构"), empty_label=_("请选择服务机构")
    )
    self_assessment = forms.CharField(
        label=_("自评报告"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("服务能力、人员、场地、近三年服务企业情况"),
    )
    qualifications = forms.CharField(
        label=_("资质证明"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如：CMA 资质认定证书编号、CNAS 认可证书编号"),
    )
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=30, help_text=_("如：021-59990000"))

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(
            pk__in=[o.pk for o in organizations]
        )


class CheckForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("审核结果"),
        choices=[("1", _("通过，进入公示")), ("0", _("不通过"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class ObjectionForm(forms.Form):
    text = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}))


class OrderForm(forms.Form):
    voucher = forms.ModelChoiceField(None, label=_("使用的创新券"), empty_label=None)
    fee = AmountField(label=_("约定费用（元）"), **MONEY)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args, vouchers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voucher"].queryset = vouchers
        self.fields["voucher"].label_from_instance = lambda v: (
            _("%(code)s（%(programme)s，余额 %(balance)s 元）")
            % {
                "code": v.code,
                "programme": v.programme.name,
                "balance": f"{v.account.balance:,.2f}",
            }
        )


class DeliverForm(forms.Form):
    actual_fee = AmountField(label=_("实际费用（元）"), **MONEY)


class RedemptionForm(forms.Form):
    contract = forms.FileField(label=RedemptionEvidence.Kind.CONTRACT.label)
    invoice = forms.FileField(label=RedemptionEvidence.Kind.INVOICE.label)
    receipt = forms.FileField(label=RedemptionEvidence.Kind.RECEIPT.label)
    report = forms.FileField(label=RedemptionEvidence.Kind.REPORT.label)


class RedemptionDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("审核结果"),
        choices=[("1", _("批准兑付")), ("0", _("驳回"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("审核意见"), max_length=300, required=False)
    override = forms.CharField(
        label=_("人工复核意见"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("存在关联方风险时必填：核查了什么、为何仍可兑付"),
    )


class BatchPaidForm(forms.Form):
    reference = forms.CharField(
        label=_("支付流水号"), max_length=60, help_text=_("如：JD-201812-0001")
    )


class ClearingRunForm(forms.Form):
    federation = forms.ModelChoiceField(
        Federation.objects.all(), label=_("联盟"), empty_label=_("请选择联盟")
    )
    period_start = forms.DateField(
        label=_("期间开始"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("期间结束"), widget=forms.DateInput(attrs={"type": "date"})
    )

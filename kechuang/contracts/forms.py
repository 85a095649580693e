"""The contract form: parties and their regions, kind, amounts, term, payment plan (add-a-row) and the
signed text. Amount rules live in :mod:`kechuang.contracts.services`; the form reports their refusals."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.contracts.models import ContractKind, TechContract
from kechuang.contracts.services import ContractInput
from kechuang.core.models import IndustryChain, Region
from kechuang.core.money import AmountField
from kechuang.core.rows import Column, RowsField
from kechuang.core.uploads import ALLOWED_EXTENSIONS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PAYMENT_COLUMNS = (
    Column("due_on", _("应付日期"), kind="date"),
    Column("amount", _("金额（元）"), kind="decimal", placeholder=_("如：300000"), size="narrow"),
    Column(
        "condition",
        _("支付条件"),
        required=False,
        placeholder=_("如：样机验收合格后"),
        max_length=200,
        size="wide",
    ),
)


class Grouped:
    """A form whose ``fieldsets`` — (legend, field names) pairs — the page shows as groups."""

    fieldsets: tuple = ()

    def grouped(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.fieldsets]


class ContractForm(Grouped, forms.Form):
    fieldsets = (
        (_("合同"), ("title", "kind", "industry_chain", "summary")),
        (_("卖方（受托方/转让方）"), ("seller_name", "seller_region")),
        (_("买方（委托方/受让方）"), ("buyer_name", "buyer_region")),
        (_("我方"), ("our_organization", "our_side")),
        (_("金额与期限"), ("total_amount", "tech_amount", "signed_on", "starts_on", "ends_on")),
        (_("支付计划"), ("payments",)),
        (_("合同文本"), ("attachment",)),
    )

    title = forms.CharField(
        label=_("合同名称"), max_length=200, help_text=_("如：新能源车用集成式电控气源装置技术开发")
    )
    kind = forms.ChoiceField(label=_("合同类型"), choices=ContractKind.choices)
    industry_chain = forms.ModelChoiceField(
        label=_("产业链"),
        queryset=IndustryChain.objects.order_by("name"),
        required=False,
        empty_label=_("不选"),
    )
    summary = forms.CharField(
        label=_("主要技术内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    seller_name = forms.CharField(
        label=_("卖方名称"), max_length=100, required=False, help_text=_("如：温州大学")
    )
    seller_region = forms.ModelChoiceField(
        label=_("卖方所在区域"),
        queryset=Region.objects.order_by("path"),
        required=False,
        empty_label=_("不选"),
    )
    buyer_name = forms.CharField(
        label=_("买方名称"),
        max_length=100,
        required=False,
        help_text=_("如：瑞安市某汽车部件有限公司"),
    )
    buyer_region = forms.ModelChoiceField(
        label=_("买方所在区域"),
        queryset=Region.objects.order_by("path"),
        required=False,
        empty_label=_("不选"),
    )
    our_organization = forms.ModelChoiceField(
        label=_("我方单位"),
        queryset=None,
        required=False,
        empty_label=_("不选"),
        help_text=_("选择后，名称与区域可留空，按我方单位填写"),
    )
    our_side = forms.ChoiceField(
        label=_("我方是"),
        choices=(("seller", _("卖方")), ("buyer", _("买方"))),
        initial="seller",
        widget=forms.RadioSelect,
        required=False,
    )
    total_amount = AmountField(
        label=_("合同成交额（元）"),
        help_text=_("如：1200000"),
    )
    tech_amount = AmountField(
        label=_("技术交易额（元）"),
        help_text=_("合同成交额中技术部分的金额，不含设备、原材料等非技术费用"),
    )
    signed_on = forms.DateField(label=_("签订日期"), widget=DATE)
    starts_on = forms.DateField(label=_("履行开始"), widget=DATE, required=False)
    ends_on = forms.DateField(label=_("履行截止"), widget=DATE, required=False)
    payments = RowsField(
        PAYMENT_COLUMNS, label=_("支付计划"), add_label=_("添加一期"), required=False
    )
    attachment = forms.FileField(
        label=_("已签订的合同文本"),
        required=False,
        help_text=_("PDF、图片或 Office 文件；提交认定登记前须上传"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_EXTENSIONS)}),
    )

    def __init__(self, *args, organizations=(), platform_source: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        from kechuang.directory.models import Organization

        field = self.fields["our_organization"]
        field.queryset = Organization.objects.filter(pk__in=[o.pk for o in organizations])
        if not organizations:
            del self.fields["our_organization"], self.fields["our_side"]
            self.fieldsets = tuple(f for f in self.fieldsets if f[1][0] != "our_organization")
        if platform_source:  # the parties are the platform's record
            for name in ("seller_name", "seller_region", "buyer_name", "buyer_region"):
                self.fields.pop(name)
            self.fields.pop("our_organization", None)
            self.fields.pop("our_side", None)
            self.fieldsets = tuple(
                f
                for f in self.fieldsets
                if f[1][0] not in ("seller_name", "buyer_name", "our_organization")
            )

    def to_input(self, contract: TechContract | None = None) -> ContractInput:
        data = self.cleaned_data
        ours = data.get("our_organization")
        side = data.get("our_side") or "seller"
        values = {}
        for prefix in ("seller", "buyer"):
            values[prefix] = getattr(contract, prefix) if contract else None
            values[f"{prefix}_name"] = data.get(f"{prefix}_name", "") or (
                getattr(contract, f"{prefix}_name") if contract else ""
            )
            values[f"{prefix}_region"] = data.get(f"{prefix}_region") or (
                getattr(contract, f"{prefix}_region") if contract else None
            )
        if ours is not None:
            values[side] = ours
            values[f"{side}_name"] = values[f"{side}_name"] or ours.name
            values[f"{side}_region"] = values[f"{side}_region"] or ours.region
        return ContractInput(
            title=data["title"],
            kind=data["kind"],
            industry_chain=data.get("industry_chain"),
            summary=data.get("summary", ""),
            total_amount=data["total_amount"],
            tech_amount=data["tech_amount"],
            signed_on=data["signed_on"],
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            payments=data.get("payments") or [],
            **values,
        )

    @classmethod
    def initial_for(cls, contract: TechContract) -> dict:
        initial = {
            name: getattr(contract, name)
            for name in (
                "title",
                "kind",
                "industry_chain",
                "summary",
                "seller_name",
                "seller_region",
                "buyer_name",
                "buyer_region",
                "total_amount",
                "tech_amount",
                "signed_on",
                "starts_on",
                "ends_on",
            )
        }
        initial["payments"] = [
            {"due_on": p.due_on, "amount": p.amount, "condition": p.condition}
            for p in contract.payments.all()
        ]
        return initial


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=(("register", _("准予登记")), ("return", _("退回补正")), ("refuse", _("不予登记"))),
        widget=forms.RadioSelect,
    )
    attachments_checked = forms.BooleanField(label=_("已核验合同附件与原件一致"), required=False)
    reason = forms.CharField(
        label=_("原因"),
        max_length=300,
        required=False,
        help_text=_("退回或不予登记时必填，如：技术交易额含设备费，请拆分后重新提交"),
    )

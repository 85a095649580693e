"""Forms of the auction pages; the rules live in :mod:`kechuang.auctions.services`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.auctions.models import AuctionSession, LotPatent
from kechuang.contracts.forms import Grouped
from kechuang.core.money import AmountField
from kechuang.core.rows import Column, RowsField

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
PATENT_COLUMNS = (
    Column(
        "number", _("专利号"), placeholder=_("如：ZL201910123456.X 或 CN112345678A"), max_length=24
    ),
    Column("title", _("专利名称"), required=False, max_length=200, size="wide"),
    Column(
        "legal_status",
        _("法律状态"),
        kind="choice",
        choices=tuple(LotPatent.LegalStatus.choices),
        size="narrow",
    ),
    Column(
        "ipc",
        _("IPC 分类号"),
        required=False,
        placeholder=_("如：F16K 31/06"),
        max_length=100,
        size="narrow",
    ),
)


class SessionForm(Grouped, forms.Form):
    fieldsets = (
        (_("专场"), ("title", "organizer", "mode", "venue", "description")),
        (
            _("时间与延时规则"),
            ("starts_at", "closes_at", "extension_minutes", "extension_cap_minutes"),
        ),
        (_("竞买须知与保密条款"), ("terms",)),
    )

    title = forms.CharField(
        label=_("专场名称"), max_length=200, help_text=_("如：中国科学院专利竞价（拍卖）会")
    )
    organizer = forms.CharField(
        label=_("主办单位"), max_length=100, help_text=_("如：上海技术交易所")
    )
    mode = forms.ChoiceField(label=_("拍卖方式"), choices=AuctionSession.Mode.choices)
    venue = forms.CharField(label=_("拍卖地点"), max_length=200, required=False)
    description = forms.CharField(
        label=_("专场介绍"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    starts_at = forms.DateTimeField(label=_("竞价开始（北京时间）"), widget=MOMENT)
    closes_at = forms.DateTimeField(label=_("竞价截止（北京时间）"), widget=MOMENT)
    extension_minutes = forms.IntegerField(
        label=_("延时周期（分钟）"), initial=5, min_value=1, max_value=60
    )
    extension_cap_minutes = forms.IntegerField(
        label=_("最长延时（分钟）"), initial=30, min_value=0, max_value=1440
    )
    terms = forms.CharField(label=_("竞买须知与保密条款"), widget=forms.Textarea(attrs={"rows": 6}))


class LotForm(Grouped, forms.Form):
    fieldsets = (
        (_("拍品"), ("title", "owner", "description")),
        (_("专利"), ("patents",)),
        (_("价格规则"), ("starting_price", "increment", "reserve_price", "deposit")),
    )

    title = forms.CharField(label=_("拍品名称"), max_length=200)
    owner = forms.ModelChoiceField(label=_("权利人"), queryset=None, empty_label=_("请选择权利人"))
    description = forms.CharField(
        label=_("拍品介绍"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    patents = RowsField(PATENT_COLUMNS, label=_("专利"), add_label=_("添加专利"), blank_rows=1)
    starting_price = AmountField(label=_("起拍价（元）"))
    increment = AmountField(label=_("加价幅度（元）"))
    reserve_price = AmountField(
        label=_("保留价（元）"),
        required=False,
        help_text=_("不向竞买人公开；留空表示无保留价"),
    )
    deposit = AmountField(label=_("保证金（元）"), initial=0)

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners

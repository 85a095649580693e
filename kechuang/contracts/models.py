"""Technology contracts (技术合同) and their registration (认定登记).

A :class:`TechContract` is one contract of the five kinds of the technology market between a buyer and a
seller, each with its region. Its *technology portion* (技术交易额, ``tech_amount``) is at most the total
amount; the registered contracts' technology portions are the region's technology turnover
(:func:`kechuang.contracts.queries.turnover`). A contract comes from a platform engagement's agreement, a
揭榜挂帅 task book, a sold auction lot, or is entered by hand; a platform source makes at most one contract
(``(source, source_id)`` is unique). The operator of the seller's region reviews it: registered with a
registration number, returned with a reason (the parties correct and resubmit) or refused. State changes
happen only in :mod:`kechuang.contracts.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import IndustryChain, Region
from kechuang.core.money import MoneyField


class ContractKind(models.TextChoices):
    DEVELOPMENT = "development", _("技术开发")
    TRANSFER = "transfer", _("技术转让")
    LICENSE = "license", _("技术许可")
    CONSULTING = "consulting", _("技术咨询")
    SERVICE = "service", _("技术服务")


class TechContractQuerySet(models.QuerySet):
    def registered(self):
        return self.filter(status=TechContract.Status.REGISTERED)

    def awaiting_review(self, regions):
        """Submitted contracts whose seller is in ``regions``: the registration queue of their operators."""
        return self.filter(status=TechContract.Status.SUBMITTED, seller_region__in=regions)

    def visible_to(self, user):
        """The contracts ``user`` may read: their organisations' (either side), those they entered, and
        those of the regions they operate (either side)."""
        from kechuang.accounts.permissions import managed_regions, member_organization_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        regions = managed_regions(user)
        orgs = member_organization_ids(user)
        return self.filter(
            Q(created_by=user)
            | Q(buyer__in=orgs)
            | Q(seller__in=orgs)
            | Q(seller_region__in=regions)
            | Q(buyer_region__in=regions)
        )


class TechContract(models.Model):
    """One technology contract and its registration.

    Lifecycle: draft → submitted → registered | returned | refused; returned → submitted. A contract from a
    platform source starts submitted. ``number`` (登记号) is set once, on registration, unique. Amounts are
    yuan; ``0 < tech_amount ≤ total_amount`` (database constraints).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待认定登记")
        REGISTERED = "registered", _("已登记")
        RETURNED = "returned", _("退回补正")
        REFUSED = "refused", _("不予登记")

    class Source(models.TextChoices):
        ENGAGEMENT = "engagement", _("平台对接")
        CHALLENGE = "challenge", _("揭榜挂帅")
        AUCTION = "auction", _("专利拍卖")
        MANUAL = "manual", _("自行登记")

    EDITABLE = (Status.DRAFT, Status.RETURNED)

    number = models.CharField(_("登记号"), max_length=20, unique=True, null=True, blank=True)
    title = models.CharField(_("合同名称"), max_length=200)
    kind = models.CharField(_("合同类型"), max_length=12, choices=ContractKind.choices)
    buyer = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("买方机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts_bought",
    )
    buyer_name = models.CharField(_("买方（委托方/受让方）"), max_length=100)
    buyer_region = models.ForeignKey(
        Region, verbose_name=_("买方所在区域"), on_delete=models.PROTECT, related_name="+"
    )
    seller = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("卖方机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts_sold",
    )
    seller_name = models.CharField(_("卖方（受托方/转让方）"), max_length=100)
    seller_region = models.ForeignKey(
        Region, verbose_name=_("卖方所在区域"), on_delete=models.PROTECT, related_name="+"
    )
    industry_chain = models.ForeignKey(
        IndustryChain,
        verbose_name=_("产业链"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    total_amount = MoneyField(_("合同成交额（元）"))
    tech_amount = MoneyField(_("技术交易额（元）"))
    signed_on = models.DateField(_("签订日期"))
    starts_on = models.DateField(_("履行开始"), null=True, blank=True)
    ends_on = models.DateField(_("履行截止"), null=True, blank=True)
    summary = models.TextField(_("主要技术内容"), blank=True)
    source = models.CharField(
        _("来源"), max_length=12, choices=Source.choices, default=Source.MANUAL, db_index=True
    )
    source_id = models.PositiveBigIntegerField(_("来源编号"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    attachments_checked = models.BooleanField(_("附件已核验"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    registered_at = models.DateTimeField(_("登记时间"), null=True, blank=True, db_index=True)

    objects = TechContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("技术合同")
        verbose_name_plural = _("技术合同")
        ordering = ["-signed_on", "-pk"]
        indexes = [models.Index(fields=["status", "registered_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(tech_amount__gt=0) & Q(tech_amount__lte=F("total_amount")),
                name="contract_tech_amount_within_total",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="contract_term_ordered",
            ),
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source="manual"),
                name="contract_one_per_platform_source",
            ),
            models.CheckConstraint(
                condition=Q(source="manual") | Q(source_id__isnull=False),
                name="contract_platform_source_named",
            ),
            models.CheckConstraint(
                condition=~Q(status="registered") | (Q(number__isnull=False) & ~Q(number="")),
                name="contract_registered_has_number",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("contracts:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def source_url(self) -> str:
        """The page of the platform record the contract came from (empty for one entered by hand)."""
        if self.source == self.Source.ENGAGEMENT:
            return reverse("demands:engagement", args=[self.source_id])
        if self.source == self.Source.CHALLENGE:
            return reverse("challenges:agreement", args=[self.source_id])
        if self.source == self.Source.AUCTION:
            return reverse("auctions:lot", args=[self.source_id])
        return ""


class PaymentTerm(models.Model):
    """One row of a contract's payment plan (支付计划): an amount due on a date, on a condition."""

    contract = models.ForeignKey(TechContract, on_delete=models.CASCADE, related_name="payments")
    order = models.PositiveSmallIntegerField(_("序号"))
    due_on = models.DateField(_("应付日期"))
    amount = MoneyField(_("金额（元）"))
    condition = models.CharField(_("支付条件"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("支付计划")
        verbose_name_plural = _("支付计划")
        ordering = ["contract", "order"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "order"], name="payment_term_order_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_term_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.due_on} {self.amount}"


class ContractAttachment(models.Model):
    """A file of the contract (the signed text, an invoice), checked by content on upload."""

    contract = models.ForeignKey(TechContract, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("文件"), upload_to="contracts/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("合同附件")
        verbose_name_plural = _("合同附件")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class RegistrationCounter(models.Model):
    """The last registration serial given in one region and year; numbers are
    ``year + region code + six-digit serial`` (e.g. 2026330381000012), counted up by conditional UPDATE."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="registration_counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.region_id}/{self.year}: {self.last}"

"""Innovation vouchers (创新券 / 双创券): programmes, applications, issued vouchers, the holds that pay part
of a fee, service orders, provider onboarding, redemptions (兑付), monthly settlement batches and the
cross-region clearing runs of a federation.

Every status below changes only through :mod:`kechuang.vouchers.services` (and
:mod:`kechuang.vouchers.payments` for holds). Money never lives in these rows: it moves in the ledger
(:mod:`kechuang.ledger`) between the accounts named in :mod:`kechuang.vouchers.accounts`; the amounts
stored here (a hold's amount, a redemption's amount) are what the entries posted, for reading and for the
invariant check, which compares them with the ledger.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import Federation, Region
from kechuang.core.money import MoneyField
from kechuang.directory.models import Organization
from kechuang.ledger.models import Account


class ProgrammeQuerySet(models.QuerySet):
    def public(self):
        return self.exclude(status=VoucherProgramme.Status.DRAFT)

    def managed_by(self, user):
        from kechuang.accounts.permissions import managed_regions

        return self.filter(region__in=managed_regions(user))


class VoucherProgramme(models.Model):
    """A region's voucher programme (券种方案) for one year: its budget, the per-enterprise annual cap, the
    co-pay ratio (the voucher pays at most ``copay_percent`` % of an eligible fee), what it may be spent on
    and where (its own region and the named partner regions, each with the regions below them), the face
    values it issues, how long a voucher stays valid, the application window and who may apply.

    The budget is appropriated in the ledger when the programme is defined; ``budget`` is that amount."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("受理申请")
        CLOSED = "closed", _("停止受理")

    region = models.ForeignKey(
        Region, verbose_name=_("发券区域"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("方案名称"), max_length=100, help_text=_("如：嘉定区2018年度双创券"))
    issuer = models.CharField(
        _("发券单位"), max_length=100, help_text=_("如：嘉定区科学技术委员会")
    )
    description = models.TextField(_("方案说明"), blank=True)
    budget = MoneyField(_("总预算（元）"))
    annual_cap = MoneyField(_("每家企业年度上限（元）"))
    copay_percent = models.DecimalField(
        _("创新券支付比例（%）"),
        max_digits=5,
        decimal_places=2,
        help_text=_("创新券最多支付合格费用的百分比，其余由企业自付，如：50"),
    )
    service_categories = models.JSONField(_("可用服务类别"), default=list, blank=True)
    instrument_categories = models.JSONField(_("可用仪器类别"), default=list, blank=True)
    partner_regions = models.ManyToManyField(
        Region,
        verbose_name=_("通用通兑的伙伴区域"),
        blank=True,
        related_name="+",
        help_text=_("本区域之外，可以使用本方案创新券的服务机构所在区域"),
    )
    federation = models.ForeignKey(
        Federation,
        verbose_name=_("所属联盟"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    face_values = models.JSONField(_("面额（元）"), default=list)
    validity_days = models.PositiveSmallIntegerField(_("有效期（天）"), default=365)
    applications_open = models.DateField(_("申请开始日期"))
    applications_close = models.DateField(_("申请截止日期"))
    eligible_kinds = models.JSONField(_("可申请的机构类型"), default=list)
    minimum_tier = models.CharField(
        _("最低培育梯次"), max_length=10, choices=Organization.Tier.choices, blank=True, default=""
    )
    max_employees = models.PositiveIntegerField(
        _("职工人数上限"), null=True, blank=True, help_text=_("留空表示不限规模")
    )
    pair_norm = models.PositiveSmallIntegerField(
        _("同一对企业与机构的年度交易次数常值"),
        default=6,
        help_text=_("同一企业在同一服务机构一年内使用创新券超过此次数时，兑付申请标记为异常"),
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("券种方案")
        verbose_name_plural = _("券种方案")
        ordering = ["-year", "region__code"]
        # Auditors (审计) read the whole voucher ledger; granted through a group, not a mandate.
        permissions = [("audit_ledger", _("查看创新券账务与审计"))]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="voucher_programme_one_a_year"),
            models.CheckConstraint(
                condition=Q(budget__gt=0) & Q(annual_cap__gt=0), name="voucher_programme_amounts"
            ),
            models.CheckConstraint(
                condition=Q(copay_percent__gt=0) & Q(copay_percent__lte=100),
                name="voucher_programme_copay_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("vouchers:programme", args=[self.pk])

    @property
    def ratio(self) -> Decimal:
        return self.copay_percent / Decimal(100)


class ApplicationQuerySet(models.QuerySet):
    def of_organizations(self, ids):
        return self.filter(organization_id__in=ids)


class VoucherApplication(models.Model):
    """An enterprise's application for vouchers of one programme: what it plans to buy and the estimated
    fees, the amount asked for, and the operator's decision (full, partial, or refused with a reason)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已批准")
        PARTLY = "partly", _("部分批准")
        REFUSED = "refused", _("未批准")

    programme = models.ForeignKey(
        VoucherProgramme, on_delete=models.PROTECT, related_name="applications"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("申请企业"), on_delete=models.PROTECT, related_name="+"
    )
    plan = models.TextField(
        _("使用计划"), help_text=_("拟购买的服务或仪器机时，如：材料成分检测 10 批次")
    )
    estimated_fee = MoneyField(_("预计费用（元）"))
    requested = MoneyField(_("申请金额（元）"))
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    granted = MoneyField(_("批准金额（元）"), default=0)
    reason = models.CharField(_("审核意见"), max_length=300, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("创新券申请")
        verbose_name_plural = _("创新券申请")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested__gt=0) & Q(estimated_fee__gt=0) & Q(granted__gte=0),
                name="voucher_application_amounts",
            ),
            models.CheckConstraint(
                condition=Q(granted__lte=F("requested")),
                name="voucher_application_granted_le_asked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.programme}"


class VoucherQuerySet(models.QuerySet):
    def usable(self, now):
        return self.filter(status=Voucher.Status.ACTIVE, expires_at__gt=now, account__balance__gt=0)


class Voucher(models.Model):
    """An issued innovation voucher: a code, a face value, an expiry, its holder. Its value sits in three
    ledger accounts (``unspent`` — ``account`` below, for lists and pickers — ``held`` and ``spent``);
    ``returned`` is what expiry or cancellation gave back to the programme's budget. For every voucher:
    face value = unspent + held + spent + redeemed + returned (checked by
    :func:`kechuang.vouchers.queries.violations`)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        EXPIRED = "expired", _("已过期")
        CANCELLED = "cancelled", _("已作废")

    code = models.CharField(_("券号"), max_length=30, unique=True)
    programme = models.ForeignKey(
        VoucherProgramme, on_delete=models.PROTECT, related_name="vouchers"
    )
    application = models.ForeignKey(
        VoucherApplication, on_delete=models.PROTECT, related_name="vouchers", null=True
    )
    holder = models.ForeignKey(
        Organization, verbose_name=_("持券企业"), on_delete=models.PROTECT, related_name="+"
    )
    face_value = MoneyField(_("面额（元）"))
    issued_at = models.DateTimeField(_("发放时间"))
    expires_at = models.DateTimeField(_("有效期至"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    returned = MoneyField(_("退回预算（元）"), default=0)
    account = models.OneToOneField(
        Account,
        verbose_name=_("未用余额账户"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,  # set right after the voucher row exists (the account is owned by it)
    )

    objects = VoucherQuerySet.as_manager()

    class Meta:
        verbose_name = _("创新券")
        verbose_name_plural = _("创新券")
        ordering = ["expires_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(face_value__gt=0), name="voucher_face_positive"),
            models.CheckConstraint(
                condition=Q(returned__gte=0) & Q(returned__lte=F("face_value")),
                name="voucher_returned_within_face",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def balance(self) -> Decimal:
        return self.account.balance


class ProviderEnrolment(models.Model):
    """An institution's request to accept vouchers (服务机构入库): a self-assessment with its qualifications,
    the operator's check, a 7-day public notice (公示) open to objections, then active. Only an active
    provider's service items and instruments take vouchers."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        NOTICE = "notice", _("公示中")
        ACTIVE = "active", _("已入库")
        REJECTED = "rejected", _("未通过")

    NOTICE_DAYS = 7

    organization = models.OneToOneField(
        Organization, verbose_name=_("服务机构"), on_delete=models.PROTECT, related_name="+"
    )
    self_assessment = models.TextField(
        _("自评报告"), help_text=_("服务能力、人员、场地、近三年服务企业情况")
    )
    qualifications = models.TextField(
        _("资质证明"), help_text=_("如：CMA 资质认定证书编号、CNAS 认可证书编号")
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=30)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    check_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("申请时间"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    notice_ends_at = models.DateTimeField(_("公示截止"), null=True, blank=True)
    activated_at = models.DateTimeField(_("入库时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("创新券服务机构")
        verbose_name_plural = _("创新券服务机构")
        ordering = ["-submitted_at", "-pk"]

    def __str__(self) -> str:
        return str(self.organization)


class EnrolmentObjection(models.Model):
    """An objection filed during a provider's public notice; an open objection keeps the provider out."""

    enrolment = models.ForeignKey(
        ProviderEnrolment, on_delete=models.PROTECT, related_name="objections"
    )
    text = models.TextField(_("异议内容"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("提出时间"))
    upheld = models.BooleanField(_("异议成立"), null=True)
    resolution = models.CharField(_("处理意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text[:40]


class ItemKind(models.TextChoices):
    SERVICE = "service", _("服务项目")
    INSTRUMENT = "instrument", _("大型仪器")


class VoucherHold(models.Model):
    """The voucher share of one fee, held on a voucher until the use is settled or released.

    ``amount`` was moved from the voucher's unspent account to its held account when the hold was made;
    settling moves ``settled_amount`` (never more than ``amount``) to spent and the rest back; releasing
    moves all of it back. A settled hold with an amount is redeemable once by its provider. One hold per
    ``idempotency_key``: asking again with the same key returns the first hold."""

    class Status(models.TextChoices):
        HELD = "held", _("冻结中")
        SETTLED = "settled", _("已结算")
        RELEASED = "released", _("已释放")

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="holds")
    payer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(
        Organization, verbose_name=_("服务机构"), on_delete=models.PROTECT, related_name="+"
    )
    item_kind = models.CharField(_("类型"), max_length=10, choices=ItemKind.choices)
    category = models.CharField(_("类别"), max_length=12)
    fee = MoneyField(_("费用（元）"))
    amount = MoneyField(_("冻结金额（元）"))
    actual_fee = MoneyField(_("实际费用（元）"), null=True, blank=True)
    settled_amount = MoneyField(_("结算金额（元）"), null=True, blank=True)
    reference = models.CharField(_("业务单号"), max_length=80)
    idempotency_key = models.CharField(_("幂等键"), max_length=120, unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.HELD, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("冻结时间"))
    closed_at = models.DateTimeField(_("结算/释放时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("创新券冻结")
        verbose_name_plural = _("创新券冻结")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["payer", "provider", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(fee__gte=F("amount")), name="voucher_hold_amount"
            ),
            models.CheckConstraint(
                condition=Q(settled_amount__isnull=True)
                | (Q(settled_amount__gte=0) & Q(settled_amount__lte=F("amount"))),
                name="voucher_hold_settled_within_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher} · {self.reference}"

    @property
    def payer_share(self) -> Decimal:
        fee = self.actual_fee if self.actual_fee is not None else self.fee
        used = self.settled_amount if self.settled_amount is not None else self.amount
        return fee - used


class ServiceOrder(models.Model):
    """An enterprise's order of a provider's service item at an agreed fee, paid partly by a voucher (the
    voucher share held on it) and the rest by the enterprise. Delivered orders settle the hold and become
    redeemable; cancelled ones release it."""

    class Status(models.TextChoices):
        PLACED = "placed", _("已下单")
        DELIVERED = "delivered", _("已交付")
        CANCELLED = "cancelled", _("已取消")

    service_item = models.ForeignKey(
        "directory.ServiceItem",
        verbose_name=_("服务项目"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprise = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    fee = MoneyField(_("约定费用（元）"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    hold = models.OneToOneField(
        VoucherHold, on_delete=models.PROTECT, related_name="service_order", null=True
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PLACED, db_index=True
    )
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ordered_at = models.DateTimeField(_("下单时间"))
    delivered_at = models.DateTimeField(_("交付时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("服务订单")
        verbose_name_plural = _("服务订单")
        ordering = ["-ordered_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(fee__gt=0), name="service_order_fee")]

    def __str__(self) -> str:
        return f"{self.service_item} · {self.enterprise}"


class SettlementBatch(models.Model):
    """One month's approved redemptions of the providers in one region, paid by that region's office in one
    payment run (marked paid with the bank's payment reference)."""

    class Status(models.TextChoices):
        OPEN = "open", _("归集中")
        PAID = "paid", _("已支付")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"), help_text=_("当月第一天"))
    status = models.CharField(_("状态"), max_length=6, choices=Status.choices, default=Status.OPEN)
    payment_reference = models.CharField(_("支付流水号"), max_length=60, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("兑付批次")
        verbose_name_plural = _("兑付批次")
        ordering = ["-month", "region__code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "month"], name="settlement_batch_one_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.month:%Y-%m}"


class ClearingRun(models.Model):
    """One clearing period of a federation: the redemptions approved across its regions in the period,
    netted into each region's position. Closing it fixes its statements and settlement plan for good;
    later corrections go into the next run."""

    class Status(models.TextChoices):
        OPEN = "open", _("未轧差")
        CLOSED = "closed", _("已轧差")

    federation = models.ForeignKey(Federation, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    status = models.CharField(_("状态"), max_length=6, choices=Status.choices, default=Status.OPEN)
    positions = models.JSONField(_("净头寸"), default=dict, blank=True)
    bilateral = models.JSONField(_("双边对账单"), default=list, blank=True)
    plan = models.JSONField(_("结算方案"), default=list, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(_("轧差时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("跨区域清算")
        verbose_name_plural = _("跨区域清算")
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["federation", "period_start"], name="clearing_run_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.federation} {self.period_start}–{self.period_end}"

    def get_absolute_url(self) -> str:
        return reverse("vouchers:clearing_run", args=[self.pk])


class Redemption(models.Model):
    """A provider's claim (兑付申请) for the voucher share of one settled hold, with its evidence; decided
    by an operator of the region that issued the voucher. One redemption per hold: a voucher use is never
    redeemed twice. ``flags`` lists the related-party rules it tripped, with their evidence; a flagged
    redemption is approved only with a written ``override``."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        PAID = "paid", _("已支付")

    hold = models.OneToOneField(VoucherHold, on_delete=models.PROTECT, related_name="redemption")
    provider = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    issuing_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    provider_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(_("兑付金额（元）"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    flags = models.JSONField(_("关联方筛查"), default=list, blank=True)
    override = models.TextField(_("人工复核意见"), blank=True)
    reason = models.CharField(_("审核意见"), max_length=300, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True, db_index=True)
    batch = models.ForeignKey(
        SettlementBatch,
        on_delete=models.PROTECT,
        related_name="redemptions",
        null=True,
        blank=True,
    )
    clearing_run = models.ForeignKey(
        ClearingRun,
        on_delete=models.PROTECT,
        related_name="redemptions",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("兑付申请")
        verbose_name_plural = _("兑付申请")
        ordering = ["-submitted_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="redemption_amount")]

    def __str__(self) -> str:
        return f"{self.provider} · {self.hold}"

    def get_absolute_url(self) -> str:
        return reverse("vouchers:redemption", args=[self.pk])

    @property
    def is_cross_region(self) -> bool:
        return self.issuing_region_id != self.provider_region_id


class RedemptionEvidence(models.Model):
    """A document supporting a redemption: the contract, the invoice, the receipt of the enterprise's
    share, the service report."""

    class Kind(models.TextChoices):
        CONTRACT = "contract", _("服务合同")
        INVOICE = "invoice", _("发票")
        RECEIPT = "receipt", _("企业自付部分付款凭证")
        REPORT = "report", _("服务报告")

    redemption = models.ForeignKey(Redemption, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(_("材料类型"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to="vouchers/evidence/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=120)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("兑付材料")
        verbose_name_plural = _("兑付材料")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class IdempotentRequest(models.Model):
    """The first answer of a money-moving API call made with an ``Idempotency-Key`` header: the same key
    from the same user on the same operation returns this answer again and moves nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=120)
    operation = models.CharField(max_length=120)
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("幂等请求")
        verbose_name_plural = _("幂等请求")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key", "operation"], name="voucher_idempotent_request_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"

"""Patent auctions (专利竞价拍卖): sessions (专场) of lots, registered bidders with paddle numbers and
deposits, bids and proxy bids, and a data room per lot.

An operator assembles a :class:`AuctionSession` of :class:`Lot` rows (one patent or a portfolio of
:class:`LotPatent` rows), submits it for review, and an operator of the region publishes it. Enterprises
register (:class:`Registration`): they accept the bidding and non-disclosure terms and get a paddle number;
an operator records their deposit, paid offline, on the ledger. Online, a :class:`Bid` must reach the
current price plus the increment (the starting price for the first); a bid in the last
``extension_minutes`` moves the close to ``extension_minutes`` after it, never beyond ``closes_at +
extension_cap_minutes``. On site, the auctioneer records bids by paddle and drops the hammer. The clock
closes lots whose time is up: the highest bid at or above the (hidden) reserve wins, else the lot goes to
post-auction negotiation. Every state change happens in :mod:`kechuang.auctions.services`.

The database holds the bid rules that races could break: one bid per lot and amount (no two accepted bids
at one price), one registration per organisation and session, one paddle number per session.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import Region
from kechuang.core.money import MoneyField

# Ledger purposes of a registration's deposit: paid offline (a source, negative by design) → held while
# bidding → released to the bidder after the session, or applied to the price of a lot they won.
DEPOSIT_PAID = "auctions.deposit.paid"
DEPOSIT_HELD = "auctions.deposit.held"
DEPOSIT_RELEASED = "auctions.deposit.released"
DEPOSIT_APPLIED = "auctions.deposit.applied"


class SessionQuerySet(models.QuerySet):
    def public(self):
        return self.filter(
            status__in=[AuctionSession.Status.PUBLISHED, AuctionSession.Status.CONCLUDED]
        )


class AuctionSession(models.Model):
    """A session (专场) of lots with one schedule and one set of terms.

    draft → in_review → published (→ concluded when every lot is closed); in_review → draft when the
    reviewer returns it. Online sessions close each lot by the clock; on-site sessions by the hammer.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("筹备中")
        IN_REVIEW = "in_review", _("待审核")
        PUBLISHED = "published", _("已发布")
        CONCLUDED = "concluded", _("已结束")

    class Mode(models.TextChoices):
        ONLINE = "online", _("网络竞价")
        ONSITE = "onsite", _("现场拍卖")

    title = models.CharField(_("专场名称"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("主办区域"), on_delete=models.PROTECT, related_name="+"
    )
    organizer = models.CharField(_("主办单位"), max_length=100, help_text=_("如：上海技术交易所"))
    description = models.TextField(_("专场介绍"), blank=True)
    terms = models.TextField(
        _("竞买须知与保密条款"),
        help_text=_("竞买人登记时须逐条确认；确认后方可查阅资料室文件"),
    )
    mode = models.CharField(_("拍卖方式"), max_length=10, choices=Mode.choices, default=Mode.ONLINE)
    venue = models.CharField(_("拍卖地点"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("竞价开始"))
    closes_at = models.DateTimeField(_("竞价截止"))
    extension_minutes = models.PositiveSmallIntegerField(
        _("延时周期（分钟）"), default=5, help_text=_("截止前该时段内有出价，截止时间顺延该时长")
    )
    extension_cap_minutes = models.PositiveSmallIntegerField(_("最长延时（分钟）"), default=30)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("拍卖专场")
        verbose_name_plural = _("拍卖专场")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("starts_at")), name="auction_session_window_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("auctions:session", args=[self.pk])


class LotQuerySet(models.QuerySet):
    def due(self, now):
        """Open lots of published online sessions whose (possibly extended) close has passed."""
        return self.filter(
            status=Lot.Status.OPEN,
            ends_at__lte=now,
            session__status=AuctionSession.Status.PUBLISHED,
            session__mode=AuctionSession.Mode.ONLINE,
        )


class Lot(models.Model):
    """One lot: a patent or a portfolio, owned by one organisation, with its price rules.

    ``current_price``, ``leader``, ``bid_count`` and ``ends_at`` are changed only by the bid services,
    under the lot's row lock; ``reserve_price`` is never shown to bidders. ``ends_at`` starts at the
    session's close and only moves later, at most to ``closes_at + extension_cap``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("未开拍")
        OPEN = "open", _("竞价中")
        SOLD = "sold", _("已成交")
        UNSOLD = "unsold", _("流拍·拍后洽谈")

    CLOSED = (Status.SOLD, Status.UNSOLD)

    session = models.ForeignKey(AuctionSession, on_delete=models.PROTECT, related_name="lots")
    number = models.PositiveSmallIntegerField(_("拍品号"))
    title = models.CharField(_("拍品名称"), max_length=200)
    description = models.TextField(_("拍品介绍"), blank=True)
    owner = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("权利人"),
        on_delete=models.PROTECT,
        related_name="auction_lots",
    )
    achievements = models.ManyToManyField(
        "directory.Achievement", verbose_name=_("关联科技成果"), blank=True, related_name="lots"
    )
    starting_price = MoneyField(_("起拍价（元）"))
    increment = MoneyField(_("加价幅度（元）"))
    reserve_price = MoneyField(_("保留价（元）"), null=True, blank=True)
    deposit = MoneyField(_("保证金（元）"), default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    closes_at = models.DateTimeField(_("计划截止"))
    ends_at = models.DateTimeField(_("当前截止"), db_index=True)
    current_price = MoneyField(_("当前价（元）"), null=True, blank=True)
    leader = models.ForeignKey(
        "Registration", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bid_count = models.PositiveIntegerField(_("出价次数"), default=0)
    hammer_price = MoneyField(_("成交价（元）"), null=True, blank=True)
    winner = models.ForeignKey(
        "Registration", null=True, blank=True, on_delete=models.PROTECT, related_name="won_lots"
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = LotQuerySet.as_manager()

    class Meta:
        verbose_name = _("拍品")
        verbose_name_plural = _("拍品")
        ordering = ["session", "number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="lot_number_once"),
            models.CheckConstraint(
                condition=Q(starting_price__gt=0) & Q(increment__gt=0) & Q(deposit__gte=0),
                name="lot_prices_positive",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("closes_at")), name="lot_close_only_moves_later"
            ),
            models.CheckConstraint(
                condition=~Q(status="sold")
                | (Q(winner__isnull=False) & Q(hammer_price__isnull=False)),
                name="lot_sold_has_winner_and_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("auctions:lot", args=[self.pk])

    @property
    def is_portfolio(self) -> bool:
        return len(self.patents.all()) > 1

    @property
    def next_minimum(self):
        """The least the next bid may be."""
        if self.current_price is None:
            return self.starting_price
        return self.current_price + self.increment

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED


class LotPatent(models.Model):
    """A patent of a lot: its validated number, title, legal status and IPC classes."""

    class LegalStatus(models.TextChoices):
        GRANTED = "granted", _("有效（已授权）")
        PENDING = "pending", _("实质审查中")

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="patents")
    number = models.CharField(_("专利号"), max_length=24)
    title = models.CharField(_("专利名称"), max_length=200)
    legal_status = models.CharField(
        _("法律状态"), max_length=10, choices=LegalStatus.choices, default=LegalStatus.GRANTED
    )
    ipc = models.CharField(
        _("IPC 分类号"), max_length=100, blank=True, help_text=_("如：F16K 31/06")
    )

    class Meta:
        verbose_name = _("拍品专利")
        verbose_name_plural = _("拍品专利")
        ordering = ["lot", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "number"], name="lot_patent_once"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Registration(models.Model):
    """A bidder of a session: an organisation with a paddle number (竞买号牌), who accepted the terms.

    Bidders are shown by paddle only. The deposit is on the ledger (``DEPOSIT_*`` accounts of this row);
    ``deposit_held`` caches the held balance for pages and is changed only with the ledger.
    """

    session = models.ForeignKey(
        AuctionSession, on_delete=models.PROTECT, related_name="registrations"
    )
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="auction_registrations"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    paddle = models.PositiveSmallIntegerField(_("号牌"))
    terms_accepted_at = models.DateTimeField(_("确认须知时间"))
    deposit_held = MoneyField(_("在押保证金（元）"), default=0)
    deposit_recorded_at = models.DateTimeField(_("保证金到账登记"), null=True, blank=True)
    deposit_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deposit_released_at = models.DateTimeField(_("保证金退还"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("竞买登记")
        verbose_name_plural = _("竞买登记")
        ordering = ["session", "paddle"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "organization"], name="registration_once_per_organization"
            ),
            models.UniqueConstraint(fields=["session", "paddle"], name="registration_paddle_once"),
            models.CheckConstraint(
                condition=Q(deposit_held__gte=0), name="registration_deposit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return _("%(n)s 号") % {"n": self.paddle}


class Bid(models.Model):
    """An accepted bid. Refused bids are not stored. ``(lot, amount)`` is unique: no two accepted bids
    at one price; amounts of a lot increase with their primary keys."""

    class Kind(models.TextChoices):
        ONLINE = "online", _("网络出价")
        PROXY = "proxy", _("代理出价")
        FLOOR = "floor", _("现场举牌")

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="bids")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="bids")
    amount = MoneyField(_("出价（元）"))
    kind = models.CharField(_("方式"), max_length=8, choices=Kind.choices, default=Kind.ONLINE)
    placed_at = models.DateTimeField(_("出价时间"), db_index=True)
    extended_to = models.DateTimeField(_("延时至"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=80, blank=True)

    class Meta:
        verbose_name = _("出价")
        verbose_name_plural = _("出价")
        ordering = ["lot", "-amount"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "amount"], name="bid_one_per_price"),
            models.UniqueConstraint(
                fields=["registration", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="bid_idempotency_key_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bid_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id}: {self.amount}"


class ProxyBid(models.Model):
    """A bidder's maximum for a lot: the platform bids for them, one increment at a time, up to it."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="proxies")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="proxies")
    maximum = MoneyField(_("最高代理价（元）"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("代理出价")
        verbose_name_plural = _("代理出价")
        constraints = [
            models.UniqueConstraint(fields=["lot", "registration"], name="proxy_once_per_bidder"),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id}: ≤{self.maximum}"


class DataRoomDocument(models.Model):
    """A document of a lot's data room (资料室): open only to registered bidders who accepted the terms,
    and to the session's operators."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(_("资料名称"), max_length=200)
    file = models.FileField(_("文件"), upload_to="auctions/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("资料室文件")
        verbose_name_plural = _("资料室文件")
        ordering = ["lot", "pk"]

    def __str__(self) -> str:
        return self.title

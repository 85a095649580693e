"""Shared large-instrument booking (大型仪器共享预约): each instrument's booking rules, who is trained on it,
its maintenance closures, and the bookings (machine time or sample testing) with their use and fee.

An instrument is bookable when it has :class:`BookingRules` with ``enabled`` set, is published and in
service. A :class:`Booking` moves through explicit states (see :class:`Booking.Status`) only in
:mod:`kechuang.booking.services`. Bookings in :data:`OCCUPYING` states never overlap on one instrument: on
PostgreSQL an exclusion constraint over ``tstzrange(starts_at, ends_at)`` guarantees it, on SQLite a trigger
that aborts the overlapping write (both created by migration ``0002``), whatever code writes the row.
"""

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.core.money import MoneyField
from kechuang.directory.models import Instrument, Organization, Status


class PriceGroup(models.TextChoices):
    """Whose rate a booking pays (价格分组): the owner's own members, other users, users of partner regions."""

    INTERNAL = "internal", _("校内/院内")
    EXTERNAL = "external", _("对外")
    PARTNER = "partner", _("联盟区域")


class BookingRulesQuerySet(models.QuerySet):
    def bookable(self):
        """Rules of instruments that take bookings now: enabled, published, in service."""
        return self.filter(
            enabled=True,
            instrument__status=Status.PUBLISHED,
            instrument__state=Instrument.State.AVAILABLE,
        )


class BookingRules(models.Model):
    """How one instrument is booked, set by its owner (an institution member) or the region's operators.

    The database refuses a minimum slot longer than the maximum, opening hours that close before they
    open, and negative rates or fees.
    """

    class Mode(models.TextChoices):
        SELF_SERVICE = "self", _("自主上机")
        OPERATED = "operated", _("代测（机组人员操作）")

    instrument = models.OneToOneField(
        Instrument, verbose_name=_("仪器"), on_delete=models.PROTECT, related_name="booking_rules"
    )
    enabled = models.BooleanField(_("开放预约"), default=True)
    mode = models.CharField(
        _("使用方式"), max_length=10, choices=Mode.choices, default=Mode.SELF_SERVICE
    )
    training_required = models.BooleanField(_("须经培训方可自主上机"), default=False)
    needs_approval = models.BooleanField(_("须管理员审批"), default=True)
    min_minutes = models.PositiveIntegerField(_("最短时段（分钟）"), default=30)
    max_minutes = models.PositiveIntegerField(_("最长时段（分钟）"), default=480)
    lead_hours = models.PositiveIntegerField(_("提前预约（小时）"), default=2)
    horizon_days = models.PositiveIntegerField(_("可预约天数"), default=60)
    opens_at = models.TimeField(_("每日开放时间"), default=time(8, 0))
    closes_at = models.TimeField(_("每日关闭时间"), default=time(20, 0))
    cancel_window_hours = models.PositiveIntegerField(_("免费取消时限（小时）"), default=24)
    late_cancel_fee = MoneyField(_("逾期取消费（元）"), default=0)
    no_show_minutes = models.PositiveIntegerField(_("爽约释放（分钟）"), default=30)
    no_show_fee = MoneyField(_("爽约费（元）"), default=0)
    weekly_quota_hours = models.PositiveIntegerField(_("每人每周限额（小时）"), default=0)
    unit = models.CharField(
        _("计费单位"), max_length=8, choices=Instrument.Unit.choices, default=Instrument.Unit.HOUR
    )
    internal_rate = MoneyField(_("校内/院内价（元）"), default=0)
    external_rate = MoneyField(_("对外价（元）"), default=0)
    partner_rate = MoneyField(_("联盟区域价（元）"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = BookingRulesQuerySet.as_manager()

    class Meta:
        verbose_name = _("预约规则")
        verbose_name_plural = _("预约规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_minutes__gt=0) & Q(min_minutes__lte=models.F("max_minutes")),
                name="booking_rules_slot_bounds",
            ),
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")), name="booking_rules_opening_hours"
            ),
            models.CheckConstraint(
                condition=Q(internal_rate__gte=0)
                & Q(external_rate__gte=0)
                & Q(partner_rate__gte=0)
                & Q(late_cancel_fee__gte=0)
                & Q(no_show_fee__gte=0),
                name="booking_rules_money_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(self.instrument)

    def rate_for(self, group: str):
        return {
            PriceGroup.INTERNAL: self.internal_rate,
            PriceGroup.EXTERNAL: self.external_rate,
            PriceGroup.PARTNER: self.partner_rate,
        }[group]


class Training(models.Model):
    """That ``user`` was trained on ``instrument`` on ``trained_on`` and may book it self-service until
    ``lapses_on`` (inclusive; no date means it does not lapse). One row per user and instrument."""

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("仪器"), on_delete=models.PROTECT, related_name="trainings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.PROTECT, related_name="+"
    )
    trained_on = models.DateField(_("培训日期"))
    lapses_on = models.DateField(_("有效期至"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)

    class Meta:
        verbose_name = _("上机培训")
        verbose_name_plural = _("上机培训")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "user"], name="booking_training_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.instrument}"


class Closure(models.Model):
    """A maintenance closure (维护停机): the instrument takes no booking that overlaps it."""

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("仪器"), on_delete=models.PROTECT, related_name="closures"
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    reason = models.CharField(_("原因"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("维护停机")
        verbose_name_plural = _("维护停机")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["instrument", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="booking_closure_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} · {self.reason}"


class BookingQuerySet(models.QuerySet):
    def occupying(self):
        return self.filter(status__in=OCCUPYING)

    def overlapping(self, starts_at, ends_at):
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)

    def of_user(self, user):
        return self.filter(user=user)

    def awaiting_decision(self):
        return self.filter(status=Booking.Status.PENDING)

    def managed_by(self, user):
        """Bookings of instruments ``user`` may manage: their organisations' and their regions'."""
        from kechuang.accounts.permissions import managed_regions, member_organization_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            Q(instrument__owner_id__in=member_organization_ids(user))
            | Q(instrument__region__in=managed_regions(user))
        )

    def billed(self):
        return self.filter(billed_at__isnull=False)


class Booking(models.Model):
    """A booking of machine time (机时预约) or a sample-testing request (送样检测) on one instrument.

    States: ``pending`` (awaiting the owner's approval — the slot is held) → ``confirmed`` →
    ``completed`` (use recorded, billed); ``pending`` → ``rejected``; ``pending``/``confirmed`` →
    ``cancelled`` (a late cancellation is billed by the rules); ``confirmed`` → ``no_show`` (released by
    the clock after the rules' minutes, billed by the rules). ``fee`` is set once, when billed, as
    ``voucher_share + payer_share``; the payer's share is posted to the ledger.
    """

    class Kind(models.TextChoices):
        SLOT = "slot", _("机时预约")
        SAMPLE = "sample", _("送样检测")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        CONFIRMED = "confirmed", _("已确认")
        COMPLETED = "completed", _("已完成")
        CANCELLED = "cancelled", _("已取消")
        REJECTED = "rejected", _("未通过")
        NO_SHOW = "no_show", _("爽约")

    class FeeKind(models.TextChoices):
        USAGE = "usage", _("使用费")
        LATE_CANCEL = "late_cancel", _("逾期取消费")
        NO_SHOW = "no_show", _("爽约费")

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("仪器"), on_delete=models.PROTECT, related_name="bookings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("预约人"),
        on_delete=models.PROTECT,
        related_name="instrument_bookings",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("付费单位"), on_delete=models.PROTECT, related_name="bookings"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.SLOT)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, db_index=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    samples = models.PositiveIntegerField(_("样品数"), default=0)
    purpose = models.CharField(_("实验内容/样品说明"), max_length=300, blank=True)
    price_group = models.CharField(_("价格分组"), max_length=10, choices=PriceGroup.choices)
    unit = models.CharField(_("计费单位"), max_length=8, choices=Instrument.Unit.choices)
    rate = MoneyField(_("单价（元）"))
    estimated_fee = MoneyField(_("预计费用（元）"), default=0)
    voucher = models.ForeignKey(
        "vouchers.Voucher",
        verbose_name=_("创新券"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    voucher_hold = models.OneToOneField(
        "vouchers.VoucherHold",
        verbose_name=_("创新券冻结"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="booking",
    )
    voucher_label = models.CharField(_("创新券"), max_length=100, blank=True)
    actual_start = models.DateTimeField(_("实际开始"), null=True, blank=True)
    actual_end = models.DateTimeField(_("实际结束"), null=True, blank=True)
    actual_samples = models.PositiveIntegerField(_("实际样品数"), null=True, blank=True)
    fee_kind = models.CharField(_("费用类型"), max_length=12, choices=FeeKind.choices, blank=True)
    fee = MoneyField(_("费用（元）"), null=True, blank=True)
    voucher_share = MoneyField(_("创新券支付（元）"), default=0)
    payer_share = MoneyField(_("自付（元）"), default=0)
    billed_at = models.DateTimeField(_("计费时间"), null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("仪器预约")
        verbose_name_plural = _("仪器预约")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["instrument", "starts_at"], name="booking_instrument_start"),
            models.Index(fields=["user", "starts_at"], name="booking_user_start"),
            models.Index(fields=["status", "starts_at"], name="booking_status_start"),
            models.Index(fields=["organization", "billed_at"], name="booking_payer_billed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(voucher_share__gte=0) & Q(payer_share__gte=0),
                name="booking_shares_not_negative",
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="booking_idempotency_key_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} · {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("booking:detail", args=[self.pk])

    @property
    def hours(self):
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    @property
    def used_hours(self):
        if self.actual_start and self.actual_end:
            return (self.actual_end - self.actual_start).total_seconds() / 3600
        return None


OCCUPYING = (Booking.Status.PENDING, Booking.Status.CONFIRMED, Booking.Status.COMPLETED)
"""States whose slot is taken: a pending booking holds its slot while the owner decides."""

"""Pilot indicators (试点考核指标), the cultivation ladder (梯次培育) and signed projects (签约项目).

Every state change goes through :mod:`kechuang.indicators.services`. A formula indicator's values are
never stored: they are computed from the records its registered source names (:mod:`kechuang.indicators.
registry`), so a corrected record corrects the figure at once. A manual indicator's values are
:class:`ManualValue` rows, entered with evidence by one person and approved by another (four eyes).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import Region
from kechuang.core.money import MoneyField

FIGURE = {"max_digits": 18, "decimal_places": 2}


class Indicator(models.Model):
    """One yearly pilot indicator of a region (a city defines them for its districts).

    ``source`` is the key of a registered formula; empty means values are entered by hand. ``aggregation``
    says how months make a year: ``sum`` (a flow: new enterprises, turnover) or ``latest`` (a level or a
    share: the last month entered stands for the year). ``money`` figures are yuan.
    """

    class Direction(models.TextChoices):
        UP = "up", _("越大越好")
        DOWN = "down", _("越小越好")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("逐月累计")
        LATEST = "latest", _("取最新值")

    region = models.ForeignKey(
        Region, verbose_name=_("考核区域"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.SlugField(_("代号"), max_length=40)
    name = models.CharField(_("指标名称"), max_length=100)
    unit = models.CharField(_("单位"), max_length=10, help_text=_("如：家、个、项、亿元、%"))
    money = models.BooleanField(_("金额（元）"), default=False)
    direction = models.CharField(
        _("方向"), max_length=4, choices=Direction.choices, default=Direction.UP
    )
    is_core = models.BooleanField(_("核心指标"), default=False)
    source = models.CharField(
        _("取数方式"), max_length=60, blank=True, help_text=_("平台记录公式；留空为人工填报")
    )
    aggregation = models.CharField(
        _("年度汇总"), max_length=6, choices=Aggregation.choices, default=Aggregation.SUM
    )
    description = models.CharField(_("口径说明"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["region", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="indicator_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_manual(self) -> bool:
        return not self.source

    @property
    def source_label(self):
        """The registered formula's name (the key itself if no app registers it any more)."""
        from kechuang.indicators import registry

        found = registry.get(self.source) if self.source else None
        return found.label if found else self.source

    def get_absolute_url(self) -> str:
        return reverse("indicators:indicator", args=[self.pk])


class Target(models.Model):
    """A district's target for one indicator in one year (money in yuan)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(_("目标值"), **FIGURE)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("年度目标")
        verbose_name_plural = _("年度目标")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region", "year"], name="target_unique_year"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.region} {self.year}"


class ManualValueQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=ManualValue.Status.APPROVED)


class ManualValue(models.Model):
    """A figure entered by hand for one month of a district, with its evidence.

    Entered (``pending``) by one person and approved or refused by a *different* person; only approved
    values count. Approving a new value for the same month supersedes the one approved before, so at
    most one approved value stands per indicator, region and month (a database constraint).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已审核")
        REJECTED = "rejected", _("已退回")
        SUPERSEDED = "superseded", _("已被替代")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="manual_values")
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    value = models.DecimalField(_("数值"), **FIGURE)
    evidence = models.TextField(_("佐证材料说明"))
    evidence_url = models.URLField(_("佐证链接"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("填报时间"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    objects = ManualValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("人工填报值")
        verbose_name_plural = _("人工填报值")
        ordering = ["-entered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region", "year", "month"],
                condition=Q(status="approved"),
                name="manual_value_one_approved",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="manual_value_month"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("entered_by")),
                name="manual_value_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.region} {self.year}-{self.month:02d}"


# --- signed projects (签约项目) ---------------------------------------------------------------------


class SigningEvent(models.Model):
    """A conference or ceremony at which a batch of projects is signed (e.g. 瑞安市2021年科技创新大会)."""

    region = models.ForeignKey(
        Region, verbose_name=_("举办区域"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("活动名称"), max_length=150)
    held_on = models.DateField(_("签约日期"))
    venue = models.CharField(_("地点"), max_length=150, blank=True)
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("签约活动")
        verbose_name_plural = _("签约活动")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("indicators:event", args=[self.pk])


class SignedProject(models.Model):
    """One project of a signing batch, followed up after the day.

    Status moves only forward: signed → started → in production (industrial projects) / operating
    (platforms, funds, talent teams, cooperations), or
    to stalled with a reason from any open state; a stalled project may be resumed as started. Each date
    is set once, by the service that makes the step.
    """

    class Kind(models.TextChoices):
        INDUSTRIAL = "industrial", _("产业项目")
        PLATFORM = "platform", _("创新平台")
        FUND = "fund", _("基金")
        TALENT = "talent", _("人才团队")
        COOPERATION = "cooperation", _("战略合作")

    class Status(models.TextChoices):
        SIGNED = "signed", _("已签约")
        STARTED = "started", _("已开工")
        PRODUCING = "producing", _("已投产")
        OPERATING = "operating", _("已运营")
        STALLED = "stalled", _("停滞")

    event = models.ForeignKey(
        SigningEvent, verbose_name=_("签约活动"), on_delete=models.PROTECT, related_name="projects"
    )
    name = models.CharField(_("项目名称"), max_length=150)
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    parties = models.CharField(_("签约各方"), max_length=300, help_text=_("用顿号分隔"))
    amount = MoneyField(_("签约金额（元）"), null=True, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("落地区域"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("进展"), max_length=10, choices=Status.choices, default=Status.SIGNED, db_index=True
    )
    started_on = models.DateField(_("开工日期"), null=True, blank=True)
    landed_on = models.DateField(_("投产/运营日期"), null=True, blank=True)
    stalled_reason = models.CharField(_("停滞原因"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("签约项目")
        verbose_name_plural = _("签约项目")
        ordering = ["event", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="signed_project_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="stalled") | ~Q(stalled_reason=""),
                name="signed_project_stalled_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("indicators:project", args=[self.pk])


# --- cultivation ladder (微成长、小升高、高壮大) ---------------------------------------------------------


class Track(models.TextChoices):
    """The three cultivation lists, named by the step a firm is helped to take."""

    MICRO = "micro", _("微成长")  # not yet listed → 科技型中小企业
    SMALL_TO_HIGH = "small_high", _("小升高")  # 科技型中小企业 → 高新技术企业
    HIGH_TO_STRONG = "high_strong", _("高壮大")  # 高新技术企业 → 创新型领军企业


TRACK_OF_TIER = {
    "": Track.MICRO,
    "tech_sme": Track.SMALL_TO_HIGH,
    "high_tech": Track.HIGH_TO_STRONG,
}


class CultivationPlan(models.Model):
    """One plan per firm (一企一策): the list it is on, its goals and its assigned service officer.

    The list is the firm's current tier's next step (``TRACK_OF_TIER``), kept current by the service
    that records a tier step.
    """

    organization = models.OneToOneField(
        "directory.Organization",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="cultivation_plan",
    )
    track = models.CharField(_("培育清单"), max_length=12, choices=Track.choices, db_index=True)
    goals = models.TextField(_("培育目标与措施"))
    target_year = models.PositiveSmallIntegerField(_("目标年度"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务专员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cultivation_plans",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("一企一策")
        verbose_name_plural = _("一企一策")
        ordering = ["track", "organization__name"]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_track_display()}"

    def get_absolute_url(self) -> str:
        return reverse("indicators:plan", args=[self.pk])


class Visit(models.Model):
    """A service officer's visit (走访) to a firm on a cultivation list."""

    plan = models.ForeignKey(CultivationPlan, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("走访日期"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("走访记录"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.plan.organization} {self.visited_on}"

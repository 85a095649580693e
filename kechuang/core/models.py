"""Shared reference data: regions and their federations, industry chains, technical fields, the audit log
and the clock's jobs. (The search vocabulary operators edit lives in :mod:`kechuang.search.models`.)"""

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionQuerySet(models.QuerySet):
    def pilots(self):
        return self.filter(is_pilot=True)


class Region(models.Model):
    """An administrative region (province → city → district/county) that may run the platform as a pilot.

    ``path`` holds the codes from the root down (``330000/330300/330381/``) so that "this region and
    everything below it" is one indexed prefix query on every database.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        DISTRICT = "district", _("区县级")

    code = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=100, db_index=True, editable=False)
    is_pilot = models.BooleanField(_("试点区域"), default=False)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "") + f"{self.code}/"
        super().save(*args, **kwargs)

    def subtree(self) -> models.QuerySet["Region"]:
        """This region and every region below it."""
        return Region.objects.filter(path__startswith=self.path)

    @property
    def full_name(self) -> str:
        names, region = [], self
        while region is not None:
            names.append(region.name)
            region = region.parent
        return "".join(reversed(names))


class Federation(models.Model):
    """Partner regions that share resources and honour each other's vouchers (通用通兑), e.g. 长三角."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    description = models.TextField(_("说明"), blank=True)
    members = models.ManyToManyField(Region, verbose_name=_("成员区域"), related_name="federations")

    class Meta:
        verbose_name = _("区域联盟")
        verbose_name_plural = _("区域联盟")

    def __str__(self) -> str:
        return self.name


class IndustryChain(models.Model):
    """An industry chain (产业链) that a region develops, e.g. 汽车零部件, 高分子材料, 信创."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    slug = models.SlugField(_("代号"), max_length=50, unique=True)
    description = models.TextField(_("说明"), blank=True)
    keywords = models.TextField(
        _("领域词"), blank=True, help_text=_("每行一个，用于分词词典与匹配")
    )
    regions = models.ManyToManyField(
        Region, verbose_name=_("重点区域"), blank=True, related_name="chains"
    )
    # Part of the search vocabulary's fingerprint (the keywords are dictionary words).
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("产业链")
        verbose_name_plural = _("产业链")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TechField(models.Model):
    """A technical field in a two-level taxonomy (category → discipline), e.g. 工学 → 机械工程."""

    name = models.CharField(_("名称"), max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级领域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("技术领域")
        verbose_name_plural = _("技术领域")
        ordering = ["parent_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="techfield_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def grouped_choices(
        cls, whole: bool = True, keep: Iterable[int | None] = (), whole_label=None
    ) -> list:
        """Disciplines grouped under their category (an ``<optgroup>`` each, or a labelled group of
        checkboxes); with ``whole`` the category itself first, "工学（整个大类）", for a demand that spans
        all of it — except a category whose one discipline bears its name (哲学 → 哲学: one option,
        not two that read alike). A category in ``keep`` is offered whatever (a record tagged with it
        keeps its tag when its form is saved). ``whole_label`` names the category's own option
        ("%(name)s（全部）" for a filter)."""
        keep = set(keep)
        whole_label = whole_label or _("%(name)s（整个大类）")
        categories: dict[int, tuple[str, list]] = {}
        children: list[TechField] = []
        for tech_field in cls.objects.order_by("name"):
            if tech_field.parent_id is None:
                categories[tech_field.pk] = (tech_field.name, [])
            else:
                children.append(tech_field)
        for child in children:
            if child.parent_id in categories:
                categories[child.parent_id][1].append((child.pk, child.name))
        result = []
        for pk, (name, options) in categories.items():
            alone = [label for _pk, label in options] == [name]
            offered = (whole and not alone) or pk in keep
            head = [(pk, whole_label % {"name": name})] if offered else []
            if head or options:  # a category with nothing to choose under it is no group
                result.append((name, [*head, *options]))
        return result


class AuditEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rows an operator may read: those of the regions they operate (their mandates' regions and
        everything below); a platform operator (superuser) reads every row, including those that belong to
        no region (grants of mandates, platform-wide vocabulary). Nobody else reads the audit log."""
        from kechuang.core.access import is_operator, managed_regions

        if not getattr(user, "is_authenticated", False) or not is_operator(user):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(region__in=managed_regions(user))


class AuditEntry(models.Model):
    """One row for every state change a service makes: who did what to which record, and when.

    ``region`` is the region the record belongs to when the row was written (see
    :func:`kechuang.core.audit.region_of`), so a region's operators read their region's trail even after
    the record itself is gone or anonymised; rows of no region are read by platform operators only."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("动作"), max_length=60, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=60)
    target_id = models.CharField(_("对象编号"), max_length=40)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("所属区域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["region", "at"], name="auditentry_region_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"


# --- the clock ----------------------------------------------------------------------------------------


class PeriodicJob(models.Model):
    """The state of one job of :data:`kechuang.core.clock.JOBS` (the registry says what runs and how
    often; this row says when it last ran and when it is next due). A clock claims a due job by setting
    ``claimed_until`` with a conditional UPDATE, so of several clock processes exactly one runs each tick."""

    class Outcome(models.TextChoices):
        DONE = "done", _("成功")
        FAILED = "failed", _("失败")

    name = models.CharField(_("名称"), max_length=60, unique=True)
    next_run_at = models.DateTimeField(_("下次运行"))
    claimed_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    last_started_at = models.DateTimeField(_("上次开始"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("上次结束"), null=True, blank=True)
    last_outcome = models.CharField(
        _("上次结果"), max_length=10, choices=Outcome.choices, blank=True
    )
    last_result = models.CharField(_("上次输出"), max_length=300, blank=True)
    last_error = models.TextField(_("上次错误"), blank=True)
    runs = models.PositiveIntegerField(_("运行次数"), default=0)
    failures = models.PositiveIntegerField(_("连续失败"), default=0)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A running ``kechuang worker`` and when it was last seen alive (see :mod:`kechuang.core.workers`):
    a task claimed by a worker that stopped beating is put back in its queue by the clock."""

    worker_id = models.CharField(_("任务进程"), max_length=64, unique=True)
    queues = models.CharField(_("队列"), max_length=200, blank=True)
    last_seen = models.DateTimeField(_("最近心跳"), db_index=True)

    class Meta:
        verbose_name = _("任务进程心跳")
        verbose_name_plural = _("任务进程心跳")

    def __str__(self) -> str:
        return self.worker_id

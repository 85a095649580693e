"""Demands (技术需求) and engagements (对接).

An enterprise writes a demand; the operator of its region reviews it before it is published; the platform
matches it; an engagement follows one request from the enterprise (or a push by the operator) to one
supplier — an expert, or the organisation behind a matched achievement, institution, instrument or service —
through acceptance, a meeting and an outcome. Status fields change only in :mod:`kechuang.demands.services`.
"""

import hashlib
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.permissions import users_of
from kechuang.core.models import IndustryChain, Region, TechField
from kechuang.core.money import MoneyField
from kechuang.directory.models import Expert, Organization


class CooperationMode(models.TextChoices):
    """How the two sides may cooperate; the five contract kinds of the technology market, plus a platform."""

    DEVELOPMENT = "development", _("技术开发")
    TRANSFER = "transfer", _("技术转让")
    LICENSE = "license", _("技术许可")
    CONSULTING = "consulting", _("技术咨询")
    SERVICE = "service", _("技术服务")
    JOINT_PLATFORM = "joint_platform", _("共建平台")


class DemandQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Demand.Status.PUBLISHED)

    def public(self):
        """Published demands anyone, signed in or not, may read (not 仅运营方与受邀专家可见): the only
        demands whose text may enter another record's search document."""
        return self.published().filter(visibility=Demand.Visibility.PUBLIC)

    def awaiting_review(self, regions):
        """Submitted demands in ``regions`` that an operator has still to approve or return."""
        return self.filter(region__in=regions, status=Demand.Status.PENDING)

    def managed_by(self, user):
        """Demands in the regions ``user`` operates, whatever their status."""
        from kechuang.accounts.permissions import managed_regions

        return self.filter(region__in=managed_regions(user))

    def owned_by(self, user):
        """Demands of the organisations ``user`` acts for."""
        from kechuang.accounts.permissions import member_organization_ids

        return self.filter(organization_id__in=member_organization_ids(user))

    def visible_to(self, user):
        """What ``user`` may read: published public demands; published restricted ones if they are an
        invited expert (or a supplier in one of its engagements); every status for the owning organisation's
        members and the region's operators."""
        from kechuang.accounts.permissions import managed_regions, member_organization_ids

        condition = Q(status=Demand.Status.PUBLISHED, visibility=Demand.Visibility.PUBLIC)
        if getattr(user, "is_authenticated", False):
            orgs = member_organization_ids(user)
            condition |= Q(organization_id__in=orgs) | Q(region__in=managed_regions(user))
            condition |= Q(
                status__in=[Demand.Status.PUBLISHED, Demand.Status.CLOSED],
                pk__in=Engagement.objects.with_supplier(user).values("demand_id"),
            )
            condition |= Q(status=Demand.Status.PUBLISHED, invited_experts__user=user)
        return self.filter(condition).distinct()


class Demand(models.Model):
    """A technical demand (技术需求) posted by an enterprise.

    Lifecycle: draft → pending (submitted) → published, or returned with a reason and resubmitted; a
    published demand can be closed. Only published demands are indexed for matching. ``contact_*`` are the
    enterprise's contact for this demand and are shown only through
    :func:`kechuang.demands.disclosure.contact_for`.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PENDING = "pending", _("待审核")
        PUBLISHED = "published", _("已发布")
        RETURNED = "returned", _("已退回")
        CLOSED = "closed", _("已关闭")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("公开")
        RESTRICTED = "restricted", _("仅运营方与受邀专家可见")

    organization = models.ForeignKey(
        Organization, verbose_name=_("需求企业"), on_delete=models.PROTECT, related_name="demands"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("需求名称"), max_length=200)
    description = models.TextField(_("需求描述"))
    industry_chain = models.ForeignKey(
        IndustryChain,
        verbose_name=_("产业链"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="demands",
    )
    field = models.ForeignKey(
        TechField,
        verbose_name=_("技术领域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="demands",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="demands"
    )
    budget_min = MoneyField(_("预算下限（元）"), null=True, blank=True)
    budget_max = MoneyField(_("预算上限（元）"), null=True, blank=True)
    deadline = models.DateField(_("期望完成日期"), null=True, blank=True)
    cooperation_modes = models.JSONField(_("合作方式"), default=list, blank=True)
    visibility = models.CharField(
        _("可见范围"), max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    invited_experts = models.ManyToManyField(
        Expert, verbose_name=_("受邀专家"), blank=True, related_name="invited_demands"
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    close_reason = models.CharField(_("关闭原因"), max_length=300, blank=True)
    source_visit = models.ForeignKey(
        "ServiceVisit",
        verbose_name=_("来源走访"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="collected_demands",
    )
    match_count = models.PositiveIntegerField(
        _("发布时匹配数"), null=True, blank=True, help_text=_("发布后由后台任务计算")
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("技术需求")
        verbose_name_plural = _("技术需求")
        ordering = ["-published_at", "-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "region"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(budget_min__isnull=True) | Q(budget_min__gte=0))
                & (Q(budget_max__isnull=True) | Q(budget_max__gte=0)),
                name="demand_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(budget_min__isnull=True)
                | Q(budget_max__isnull=True)
                | Q(budget_min__lte=models.F("budget_max")),
                name="demand_budget_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("demands:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    def cooperation_mode_labels(self) -> list[str]:
        labels = dict(CooperationMode.choices)
        return [str(labels.get(mode, mode)) for mode in self.cooperation_modes]

    @property
    def search_text(self) -> str:
        """The query used to match this demand: its title and description."""
        return f"{self.title}\n{self.description}"


def attachment_path(instance: "DemandAttachment", filename: str) -> str:
    """Where an attachment is stored: a random name with the original extension. The uploaded name
    (kept in ``DemandAttachment.name`` and given back on download) may be longer than a file system
    allows (255 bytes: 85 Chinese characters) or hold characters a disk path should not."""
    suffix = PurePath(filename).suffix.lower()
    if not (len(suffix) <= 10 and suffix[1:].isascii() and suffix[1:].isalnum()):
        suffix = ""
    return f"demands/{instance.demand_id}/{uuid.uuid4().hex}{suffix}"


class DemandAttachment(models.Model):
    """A file attached to a demand, checked by content (:mod:`kechuang.demands.attachments`) before it is
    stored. Downloaded only by those who may see the demand."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=120)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("需求附件")
        verbose_name_plural = _("需求附件")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class MatchType(models.TextChoices):
    """What an engagement was started from: the search index's record types that have a supplier."""

    EXPERT = "expert", _("专家")
    ACHIEVEMENT = "achievement", _("科技成果")
    ORGANIZATION = "organization", _("机构")
    INSTRUMENT = "instrument", _("大型仪器")
    SERVICE = "service", _("服务项目")


class EngagementQuerySet(models.QuerySet):
    def with_supplier(self, user):
        """Engagements where ``user`` is the supplier: the expert themself, or a member of the provider."""
        from kechuang.accounts.permissions import member_organization_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(expert__user=user) | Q(provider_id__in=member_organization_ids(user)))

    def visible_to(self, user):
        """Engagements ``user`` is a party to or operates the region of."""
        from kechuang.accounts.permissions import managed_regions, member_organization_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            Q(demand__organization_id__in=member_organization_ids(user))
            | Q(pk__in=self.model.objects.with_supplier(user).values("pk"))
            | Q(demand__region__in=managed_regions(user))
        )

    def open(self):
        return self.filter(status__in=Engagement.OPEN_STATUSES)


class Engagement(models.Model):
    """One supply–demand engagement (对接) between a demand's enterprise and one supplier.

    Lifecycle: requested → accepted | declined | expired; accepted → meeting_scheduled (may be rescheduled)
    → met → agreed; accepted, meeting_scheduled and met may be closed with a reason. Exactly one of
    ``expert`` and ``provider`` is the supplier. At most one open engagement exists per demand and matched
    record. Contact details are disclosed once ``accepted_at`` is set (see
    :mod:`kechuang.demands.disclosure`).
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待回应")
        ACCEPTED = "accepted", _("已接受")
        DECLINED = "declined", _("已婉拒")
        EXPIRED = "expired", _("已过期")
        MEETING_SCHEDULED = "scheduled", _("已约见")
        MET = "met", _("已会谈")
        AGREED = "agreed", _("达成合作")
        CLOSED = "closed", _("已结束")

    OPEN_STATUSES = (Status.REQUESTED, Status.ACCEPTED, Status.MEETING_SCHEDULED, Status.MET)

    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="engagements")
    match_type = models.CharField(_("匹配类型"), max_length=12, choices=MatchType.choices)
    match_id = models.PositiveBigIntegerField(_("匹配对象编号"))
    match_label = models.CharField(_("匹配对象"), max_length=200)
    expert = models.ForeignKey(
        Expert,
        verbose_name=_("专家"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="engagements",
    )
    provider = models.ForeignKey(
        Organization,
        verbose_name=_("供给方机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplied_engagements",
    )
    message = models.TextField(_("对接留言"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("推送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=Status.choices,
        default=Status.REQUESTED,
        db_index=True,
    )
    requested_at = models.DateTimeField(_("发起时间"), db_index=True)
    responded_at = models.DateTimeField(_("回应时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    decline_reason = models.CharField(_("婉拒原因"), max_length=300, blank=True)
    meeting_at = models.DateTimeField(_("会谈时间"), null=True, blank=True)
    meeting_place = models.CharField(_("会谈地点"), max_length=200, blank=True)
    meeting_link = models.URLField(_("视频会议链接"), blank=True)
    met_at = models.DateTimeField(_("会谈记录时间"), null=True, blank=True)
    minutes = models.TextField(_("会谈纪要"), blank=True)
    attendees = models.CharField(_("参会人员"), max_length=300, blank=True)
    agreed_at = models.DateTimeField(_("达成时间"), null=True, blank=True)
    cooperation_mode = models.CharField(
        _("合作方式"), max_length=16, choices=CooperationMode.choices, blank=True
    )
    amount = MoneyField(_("合作金额（元）"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    close_reason = models.CharField(_("结束原因"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    objects = EngagementQuerySet.as_manager()

    class Meta:
        verbose_name = _("对接")
        verbose_name_plural = _("对接")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(expert__isnull=False) & Q(provider__isnull=True))
                | (Q(expert__isnull=True) & Q(provider__isnull=False)),
                name="engagement_one_supplier",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="engagement_amount_not_negative",
            ),
            models.UniqueConstraint(
                fields=["demand", "match_type", "match_id"],
                condition=Q(status__in=["requested", "accepted", "scheduled", "met"]),
                name="engagement_one_open_per_match",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.demand} ↔ {self.match_label}"

    def get_absolute_url(self) -> str:
        return reverse("demands:engagement", args=[self.pk])

    @property
    def supplier_name(self) -> str:
        return str(self.expert or self.provider)

    @property
    def contacts_disclosed(self) -> bool:
        return self.accepted_at is not None

    def supplier_users(self) -> list:
        """The users who answer for the supplier side."""
        if self.expert_id:
            return [self.expert.user] if self.expert.user_id else []
        return list(users_of(self.provider_id))

    def enterprise_users(self) -> list:
        return list(users_of(self.demand.organization_id))

    def is_supplier(self, user) -> bool:
        return getattr(user, "is_authenticated", False) and any(
            u.pk == user.pk for u in self.supplier_users()
        )

    def is_enterprise(self, user) -> bool:
        from kechuang.accounts.permissions import acts_for

        return acts_for(user, self.demand.organization_id)

    def is_operator(self, user) -> bool:
        from kechuang.accounts.permissions import operates

        return operates(user, self.demand.region)


class EngagementEvent(models.Model):
    """One line of an engagement's timeline: a status change or a message between the sides (messages go
    through the platform, so neither side needs the other's contact details before acceptance)."""

    class Kind(models.TextChoices):
        STATUS = "status", _("状态变更")
        MESSAGE = "message", _("留言")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Engagement.Status.choices)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("对接记录")
        verbose_name_plural = _("对接记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.note[:30]}"


class EngineerPool(models.Model):
    """An industry chain's pool of part-time engineers (工程师对接云平台, seed 000), kept by the operators of a
    region: enterprises of that chain in that region see the pool's engineers first among their matches."""

    name = models.CharField(_("名称"), max_length=100)
    industry_chain = models.ForeignKey(
        IndustryChain,
        verbose_name=_("产业链"),
        on_delete=models.PROTECT,
        related_name="engineer_pools",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="engineer_pools"
    )
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("工程师资源池")
        verbose_name_plural = _("工程师资源池")
        ordering = ["industry_chain__name", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["industry_chain", "region"], name="pool_one_per_chain_region"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("demands:pool", args=[self.pk])


class PoolMember(models.Model):
    """A part-time engineer enrolled in a pool, with their specialities along the chain."""

    pool = models.ForeignKey(EngineerPool, on_delete=models.CASCADE, related_name="members")
    expert = models.ForeignKey(
        Expert, verbose_name=_("工程师"), on_delete=models.CASCADE, related_name="pool_memberships"
    )
    specialities = models.CharField(
        _("专长环节"), max_length=200, blank=True, help_text=_("如：电控系统、热管理、精密铸造")
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrolled_at = models.DateTimeField(_("入池时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资源池工程师")
        verbose_name_plural = _("资源池工程师")
        ordering = ["pool", "enrolled_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "expert"], name="pool_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.pool} · {self.expert}"


class ServiceTeam(models.Model):
    """An expert service team (科技服务团) formed by a national society to visit enterprises."""

    name = models.CharField(_("名称"), max_length=100)
    society = models.ForeignKey(
        Organization,
        verbose_name=_("组建学会"),
        on_delete=models.PROTECT,
        related_name="service_teams",
    )
    members = models.ManyToManyField(
        Expert, verbose_name=_("成员专家"), blank=True, related_name="service_teams"
    )
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("科技服务团")
        verbose_name_plural = _("科技服务团")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("demands:team", args=[self.pk])


class ServiceVisit(models.Model):
    """A team's visit to an enterprise: planned → done (with outcomes and the demands collected, which
    enter the normal review flow) or cancelled."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("计划中")
        DONE = "done", _("已走访")
        CANCELLED = "cancelled", _("已取消")

    team = models.ForeignKey(ServiceTeam, on_delete=models.CASCADE, related_name="visits")
    enterprise = models.ForeignKey(
        Organization,
        verbose_name=_("走访企业"),
        on_delete=models.PROTECT,
        related_name="service_visits",
    )
    planned_on = models.DateField(_("计划日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    visited_on = models.DateField(_("走访日期"), null=True, blank=True)
    outcomes = models.TextField(_("走访成效"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务团走访")
        verbose_name_plural = _("服务团走访")
        ordering = ["planned_on", "pk"]

    def __str__(self) -> str:
        return f"{self.team} → {self.enterprise} {self.planned_on}"


class AnswerLinkQuerySet(models.QuerySet):
    def usable(self, now):
        """Links not yet used and not expired at ``now``."""
        return self.filter(used_at__isnull=True, expires_at__gt=now)


class AnswerLink(models.Model):
    """A single-use link, e-mailed to an expert without a login, to answer one engagement request.

    The token exists only in the e-mail: the row keeps its SHA-256, the address it went to, when it
    expires (when the request itself would) and when it was used. Viewing the page does not use it;
    accepting or declining does, in the same transaction as the transition
    (:func:`kechuang.demands.services.accept_engagement`), so a link answers at most once.
    """

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="answer_links"
    )
    email = models.EmailField(_("发送至"))
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    objects = AnswerLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("回应链接")
        verbose_name_plural = _("回应链接")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.engagement_id} → {self.email}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def usable_at(self, now) -> bool:
        """Whether the link still answers at ``now`` (the row-level twin of ``objects.usable``)."""
        return self.used_at is None and self.expires_at > now

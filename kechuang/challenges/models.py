"""Open challenge lists (揭榜挂帅): lists of key technical tasks with bounties, the applications that take
them, their expert review, the announcement (公示), and the agreements paid by milestone.

Every status below changes only through :mod:`kechuang.challenges.services`. Money is Decimal yuan; the
sums that must never exceed a bounty are cached on :class:`Agreement` under database check constraints.
"""

import datetime
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kechuang.core.models import Region, TechField
from kechuang.core.money import MoneyField
from kechuang.directory.models import Organization

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


class ChallengeListQuerySet(models.QuerySet):
    def public(self):
        """Lists the public may read: everything after the draft."""
        return self.exclude(status=ChallengeList.Status.DRAFT)

    def managed_by(self, user):
        from kechuang.accounts.permissions import managed_regions

        return self.filter(region__in=managed_regions(user))


class ChallengeList(models.Model):
    """A list (榜单) of key technical tasks published by a region with one application window.

    The window runs from ``opens_on`` to the end of ``closes_on`` in Asia/Shanghai time: an application
    submitted at 23:59:59 Shanghai time on ``closes_on`` is on time, one at 00:00:00 the next day is late.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("征集中")
        CLOSED = "closed", _("征集截止")
        REVIEWING = "reviewing", _("评审中")
        ANNOUNCED = "announced", _("公示中")
        CONCLUDED = "concluded", _("已结束")

    title = models.CharField(_("榜单名称"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("发榜区域"), on_delete=models.PROTECT, related_name="+"
    )
    issuer = models.CharField(_("发榜单位"), max_length=100, help_text=_("如：瑞安市科学技术局"))
    description = models.TextField(_("榜单说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    opens_on = models.DateField(_("揭榜开始日期"))
    closes_on = models.DateField(_("揭榜截止日期"), help_text=_("当日 24:00（北京时间）截止"))
    first_tranche_min_percent = models.DecimalField(
        _("首期拨付最低比例（%）"), max_digits=5, decimal_places=2, default=Decimal("60")
    )
    objection_days = models.PositiveSmallIntegerField(_("公示期（天）"), default=7)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    announced_at = models.DateTimeField(_("公示开始"), null=True, blank=True)
    objection_ends_at = models.DateTimeField(_("公示截止"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChallengeListQuerySet.as_manager()

    class Meta:
        verbose_name = _("揭榜挂帅榜单")
        verbose_name_plural = _("揭榜挂帅榜单")
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="challengelist_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(first_tranche_min_percent__gte=0)
                & Q(first_tranche_min_percent__lte=100),
                name="challengelist_first_tranche_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("challenges:list", args=[self.pk])

    @property
    def window_opens_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.opens_on, datetime.time.min, tzinfo=SHANGHAI)

    @property
    def window_closes_at(self) -> datetime.datetime:
        """The first instant that is too late: 00:00 Shanghai time on the day after ``closes_on``."""
        next_day = self.closes_on + datetime.timedelta(days=1)
        return datetime.datetime.combine(next_day, datetime.time.min, tzinfo=SHANGHAI)

    def window_is_open(self, now: datetime.datetime) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.window_opens_at <= now < self.window_closes_at
        )

    def phase(self, now: datetime.datetime) -> str:
        """Where the list stands for someone who wants to apply: ``open``; ``upcoming`` (published, the
        window not yet open); ``deadline_passed`` (published, the window over, not yet closed by the
        operator); or, once collection is over, the status itself: ``closed`` (formal check),
        ``reviewing``, ``announced`` (公示), ``concluded``; ``draft`` before publication."""
        if self.status != self.Status.PUBLISHED:
            return self.status
        if now < self.window_opens_at:
            return "upcoming"
        if now >= self.window_closes_at:
            return "deadline_passed"
        return "open"


class ChallengeQuerySet(models.QuerySet):
    def in_list(self):
        return self.filter(status=Challenge.Status.ACCEPTED)

    def solved(self):
        return self.filter(agreement__status=Agreement.Status.ACCEPTED)


class Challenge(models.Model):
    """A key technical task (攻关任务) proposed by an enterprise or department, with measurable indicators and
    a bounty split between the issuer and the government (the two shares always add up to the bounty)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待审核")
        ACCEPTED = "accepted", _("已入榜")
        REJECTED = "rejected", _("未入榜")

    challenge_list = models.ForeignKey(
        ChallengeList,
        verbose_name=_("所属榜单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="challenges",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+"
    )
    proposer = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("出题单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposed_challenges",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("任务名称"), max_length=200)
    problem = models.TextField(_("需解决的问题"))
    bounty = MoneyField(_("榜金（元）"))
    issuer_share = MoneyField(_("出题单位出资（元）"))
    government_share = MoneyField(_("政府资助（元）"))
    completion_deadline = models.DateField(_("完成期限"))
    eligible_kinds = models.JSONField(
        _("可揭榜主体类型"), default=list, blank=True, help_text=_("留空表示不限")
    )
    eligible_region = models.ForeignKey(
        Region,
        verbose_name=_("揭榜主体所在区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("留空表示不限区域"),
    )
    credit_code_required = models.BooleanField(
        _("须有统一社会信用代码"),
        default=False,
        help_text=_("揭榜单位（含联合体各成员）须为具有统一社会信用代码的独立法人"),
    )
    min_tier = models.CharField(
        _("牵头企业最低培育梯次"),
        max_length=10,
        choices=Organization.Tier.choices,
        blank=True,
        default="",
        help_text=_("仅约束企业牵头的申请；留空表示不限"),
    )
    qualifications = models.TextField(
        _("其他资质要求"), blank=True, help_text=_("平台不自动核验，由形式审查人工核对")
    )
    ip_terms = models.TextField(_("知识产权约定"), blank=True)
    fields = models.ManyToManyField(
        TechField, verbose_name=_("技术领域"), blank=True, related_name="challenges"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True
    )
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChallengeQuerySet.as_manager()

    class Meta:
        verbose_name = _("攻关任务")
        verbose_name_plural = _("攻关任务")
        ordering = ["challenge_list", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(bounty__gt=0), name="challenge_bounty_positive"),
            models.CheckConstraint(
                condition=Q(issuer_share__gte=0) & Q(government_share__gte=0),
                name="challenge_shares_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(bounty=F("issuer_share") + F("government_share")),
                name="challenge_shares_sum_to_bounty",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("challenges:challenge", args=[self.pk])

    @property
    def eligible_kind_labels(self) -> list[str]:
        return [str(Organization.Kind(kind).label) for kind in self.eligible_kinds]


class Indicator(models.Model):
    """A measurable technical indicator (指标) of a task: ``name`` must reach ``target`` ``unit``."""

    class Comparator(models.TextChoices):
        AT_LEAST = "gte", "≥"
        AT_MOST = "lte", "≤"

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="indicators")
    name = models.CharField(_("指标"), max_length=200)
    comparator = models.CharField(
        _("比较"), max_length=3, choices=Comparator.choices, default=Comparator.AT_LEAST
    )
    target = models.DecimalField(_("目标值"), max_digits=16, decimal_places=4)
    unit = models.CharField(pgettext_lazy("unit of measure", "单位"), max_length=30)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("技术指标")
        verbose_name_plural = _("技术指标")
        ordering = ["challenge", "order", "pk"]

    def __str__(self) -> str:
        return (
            f"{self.name} {self.get_comparator_display()} {self.target.normalize():f} {self.unit}"
        )

    def is_met_by(self, value: Decimal) -> bool:
        if self.comparator == self.Comparator.AT_LEAST:
            return value >= self.target
        return value <= self.target


class RubricCriterion(models.Model):
    """One criterion of a list's review rubric; a reviewer scores it 0–100 and the weights sum to 100."""

    challenge_list = models.ForeignKey(
        ChallengeList, on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(_("评分项"), max_length=100)
    weight = models.DecimalField(_("权重（%）"), max_digits=5, decimal_places=2)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("评分细则")
        verbose_name_plural = _("评分细则")
        ordering = ["challenge_list", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=100), name="rubric_weight_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight}%)"


class ApplicationQuerySet(models.QuerySet):
    def of_organizations(self, organization_ids):
        return self.filter(members__organization_id__in=organization_ids).distinct()

    def submitted(self):
        """Applications that were ever submitted (withdrawn ones included, drafts not)."""
        return self.filter(submitted_at__isnull=False)

    def counted(self):
        """Applications that count as taking the task: submitted and not withdrawn."""
        return self.exclude(status__in=Application.UNCOUNTED)


class Application(models.Model):
    """An application (揭榜申请) for one task by a lead organisation, alone or at the head of a consortium.

    An organisation appears in at most one live application per task, whether as lead or member (enforced
    by :class:`ConsortiumMember`'s unique constraint over members not withdrawn), and a task has at most
    one selected application.

    States: draft → submitted → formal_passed / formal_failed; formal_passed → under_review →
    (shortlisted →) selected / not_selected; selected → contracted (or not_selected when an objection is
    upheld).

    Withdrawal (撤回): the lead organisation may withdraw a draft, submitted or formally passed application
    as long as expert review has not started — that is, while its list is still collecting (征集中) or
    collection has closed but the operator has not started the review (征集截止). Until then withdrawing
    costs nobody any work; once experts are drawn and scoring, a withdrawal would waste the panel's work
    and let an applicant react to the competition, so it is refused. A formally failed application is
    already out and cannot be withdrawn. A withdrawn application frees its organisations: they may apply
    again (alone or in another consortium) while the window is open.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        FORMAL_PASSED = "formal_passed", _("形式审查通过")
        FORMAL_FAILED = "formal_failed", _("形式审查未通过")
        UNDER_REVIEW = "under_review", _("专家评审中")
        SHORTLISTED = "shortlisted", _("进入终评")
        SELECTED = "selected", _("拟揭榜")
        NOT_SELECTED = "not_selected", _("未入选")
        CONTRACTED = "contracted", _("已签约")
        WITHDRAWN = "withdrawn", _("已撤回")

    # Not (or no longer) taking the task: left out of applicant counts and reports.
    UNCOUNTED = (Status.DRAFT, Status.WITHDRAWN)

    class Mode(models.TextChoices):
        ALONE = "alone", _("独立揭榜")
        CONSORTIUM = "consortium", _("创新联合体")
        PROJECT_GROUP = "group", _("项目群")

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="applications")
    lead = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("牵头单位"),
        on_delete=models.PROTECT,
        related_name="challenge_applications",
    )
    mode = models.CharField(_("揭榜方式"), max_length=10, choices=Mode.choices, default=Mode.ALONE)
    status = models.CharField(
        _("状态"), max_length=14, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    technical_route = models.TextField(_("技术路线"), blank=True)
    budget_total = MoneyField(_("总预算（元）"), default=0)
    declaration_accepted = models.BooleanField(
        _("承诺声明"), default=False, help_text=_("承诺所填信息真实，无知识产权纠纷，接受评审结果")
    )
    formal_note = models.CharField(_("形式审查意见"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("撤回原因"), max_length=300, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("揭榜申请")
        verbose_name_plural = _("揭榜申请")
        ordering = ["challenge", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "lead"],
                condition=~Q(status="withdrawn"),
                name="application_one_live_per_lead",
            ),
            models.UniqueConstraint(
                fields=["challenge"],
                condition=Q(status__in=["selected", "contracted"]),
                name="application_one_winner_per_challenge",
            ),
            models.CheckConstraint(
                condition=Q(budget_total__gte=0), name="application_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead} → {self.challenge}"

    def get_absolute_url(self) -> str:
        return reverse("challenges:application", args=[self.pk])


class ConsortiumMember(models.Model):
    """An organisation in an application (the lead included) with its role and its shares of the work
    (percent) and of the budget (yuan). A member takes part only once one of its users confirms.

    ``withdrawn`` mirrors its application's withdrawal (set by the same service) so that the database can
    keep an organisation in at most one live application per task."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头单位")
        MEMBER = "member", _("参与单位")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="members")
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        related_name="challenge_memberships",
    )
    role = models.CharField(_("角色"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    responsibility = models.CharField(_("分工"), max_length=200, blank=True)
    work_share = models.DecimalField(_("任务分工占比（%）"), max_digits=5, decimal_places=2)
    budget_share = MoneyField(_("预算份额（元）"))
    confirmed_at = models.DateTimeField(_("确认参与时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn = models.BooleanField(_("已随申请撤回"), default=False)

    class Meta:
        verbose_name = _("联合体成员")
        verbose_name_plural = _("联合体成员")
        ordering = ["application", "-role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "organization"],
                condition=Q(withdrawn=False),
                name="consortium_one_live_application_per_org",
            ),
            models.CheckConstraint(
                condition=Q(work_share__gte=0) & Q(work_share__lte=100),
                name="consortium_work_share_range",
            ),
            models.CheckConstraint(
                condition=Q(budget_share__gte=0), name="consortium_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"


class TeamMember(models.Model):
    """A person on the applying team. No degree, age or title limits apply: ``title`` is informative."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="team")
    name = models.CharField(_("姓名"), max_length=50)
    title = models.CharField(_("职称/职务"), max_length=50, blank=True)
    affiliation = models.CharField(_("单位"), max_length=100, blank=True)
    duty = models.CharField(_("分工"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("团队成员")
        verbose_name_plural = _("团队成员")
        ordering = ["application", "pk"]

    def __str__(self) -> str:
        return self.name


class PlanMilestone(models.Model):
    """A milestone of an applicant's plan: what will be delivered how many months after signing."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="plan")
    title = models.CharField(_("里程碑"), max_length=200)
    months = models.PositiveSmallIntegerField(_("签约后月数"))
    deliverable = models.CharField(_("交付成果"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("计划里程碑")
        verbose_name_plural = _("计划里程碑")
        ordering = ["application", "months", "pk"]

    def __str__(self) -> str:
        return self.title


class ReviewRound(models.Model):
    """One round of expert review of a task's applications: 初评 (1) and optionally 终评 (2).

    Scores of a round are sealed while it is ``open``: nobody but their author reads them until the
    operator unseals the round, which is possible only once every active panel seat has scored every
    application in the round.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("评审中（密封）")
        UNSEALED = "unsealed", _("已启封")

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("轮次"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    applications = models.ManyToManyField(Application, related_name="rounds")
    created_at = models.DateTimeField(auto_now_add=True)
    unsealed_at = models.DateTimeField(_("启封时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评审轮次")
        verbose_name_plural = _("评审轮次")
        ordering = ["challenge", "number"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "number"], name="round_unique_number"),
            models.CheckConstraint(
                condition=Q(number__in=[1, 2]), name="round_number_first_or_final"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.challenge} · {self.get_number_display()}"

    def get_number_display(self) -> str:
        return str(_("初评") if self.number == 1 else _("终评"))


class PanelSeat(models.Model):
    """An expert drawn onto a round's panel. A reviewer who declares a conflict is ``recused``."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("评审")
        RECUSED = "recused", _("已回避")

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="seats")
    expert = models.ForeignKey(
        "directory.Expert", on_delete=models.PROTECT, related_name="panel_seats"
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评审专家")
        verbose_name_plural = _("评审专家")
        ordering = ["round", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "expert"], name="seat_unique_expert")
        ]

    def __str__(self) -> str:
        return f"{self.expert} @ {self.round}"


class ConflictRecord(models.Model):
    """Why an expert does not review a task's round: found automatically when the panel was drawn, or
    declared by the reviewer."""

    class Reason(models.TextChoices):
        SAME_AFFILIATION = "affiliation", _("同一单位")
        SHARED_PAPER = "paper", _("近三年合作论文")
        SHARED_PATENT = "patent", _("共有专利")
        ENGAGEMENT = "engagement", _("近三年有对接合作")
        DECLARED = "declared", _("本人申报回避")

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="conflicts")
    expert = models.ForeignKey("directory.Expert", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("回避原因"), max_length=12, choices=Reason.choices)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("回避记录")
        verbose_name_plural = _("回避记录")
        ordering = ["round", "expert", "reason"]

    def __str__(self) -> str:
        return f"{self.expert}: {self.get_reason_display()}"


class ScoreQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The scores ``user`` may read — the one query behind every page, API endpoint and export.

        A reviewer always reads their own scores. Nobody else reads a score while its round is sealed.
        Once unsealed: the list's operators and the round's reviewers read all of it, and the members of
        an applying organisation read the scores of their own application.
        """
        from kechuang.accounts.permissions import managed_regions, member_organization_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        own = Q(seat__expert__user=user)
        unsealed = Q(round__status=ReviewRound.Status.UNSEALED)
        operator = Q(round__challenge__challenge_list__region__in=managed_regions(user))
        reviewer = Q(round__seats__expert__user=user)
        applicant = Q(application__members__organization_id__in=member_organization_ids(user))
        return self.filter(own | (unsealed & (operator | reviewer | applicant))).distinct()


class Score(models.Model):
    """One reviewer's score of one application in one round: a 0–100 mark per rubric criterion
    (``marks``, keyed by criterion id) and their weighted ``total``."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="scores")
    seat = models.ForeignKey(PanelSeat, on_delete=models.CASCADE, related_name="scores")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    marks = models.JSONField(_("分项得分"), default=dict)
    total = models.DecimalField(_("加权总分"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("评审意见"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))

    objects = ScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("评审打分")
        verbose_name_plural = _("评审打分")
        ordering = ["round", "application", "seat"]
        constraints = [
            models.UniqueConstraint(fields=["seat", "application"], name="score_once_per_seat"),
            models.CheckConstraint(
                condition=Q(total__gte=0) & Q(total__lte=100), name="score_total_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seat.expert} → {self.application}: {self.total}"


class Objection(models.Model):
    """An objection (异议) to a selected application filed during the announcement period; it must be
    resolved before the agreement is signed. An upheld objection revokes the selection."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="objections"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("异议内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    resolution = models.TextField(_("处理意见"), blank=True)
    filed_at = models.DateTimeField(_("提出时间"))
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["application", "filed_at"]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_status_display()}"


# A task book's bounty in the ledger (:mod:`kechuang.ledger`), one account of each purpose per agreement:
# signing moves the bounty from the funder's pledge (negative by design) to ``unplanned``; planning a
# tranche moves its amount on to ``committed``; paying it moves it to ``released``.
BOUNTY_PLEDGED = "challenges.bounty.pledged"
BOUNTY_UNPLANNED = "challenges.bounty.unplanned"
BOUNTY_COMMITTED = "challenges.bounty.committed"
BOUNTY_RELEASED = "challenges.bounty.released"


class Agreement(models.Model):
    """The task book (任务书) signed with the selected applicant, paid in tranches by milestone.

    The money moves in the ledger, which refuses to overdraw ``unplanned`` or ``committed``.
    ``committed_total`` (all tranches planned) and ``released_total`` (tranches paid) cache the sums for
    pages; only the tranche services change them, together with the ledger, under the check constraints
    ``released_total ≤ committed_total ≤ bounty``: no sequence of requests can pay more than the bounty.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("执行中")
        ACCEPTED = "accepted", _("验收通过")
        FAILED = "failed", _("验收未通过")

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="agreement"
    )
    challenge = models.OneToOneField(Challenge, on_delete=models.PROTECT, related_name="agreement")
    bounty = MoneyField(_("榜金（元）"))
    committed_total = MoneyField(_("已安排拨付（元）"), default=0)
    released_total = MoneyField(_("已拨付（元）"), default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    extension_used = models.BooleanField(_("已延期"), default=False)
    signed_at = models.DateTimeField(_("签约时间"))
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("任务书")
        verbose_name_plural = _("任务书")
        ordering = ["-signed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(committed_total__lte=F("bounty")),
                name="agreement_committed_within_bounty",
            ),
            models.CheckConstraint(
                condition=Q(released_total__gte=0) & Q(released_total__lte=F("committed_total")),
                name="agreement_released_within_committed",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('任务书')} · {self.challenge}"

    def get_absolute_url(self) -> str:
        return reverse("challenges:agreement", args=[self.pk])


class Milestone(models.Model):
    """A milestone of the task book. Its evidence is submitted by the applicant and accepted or returned
    by the operator; the agreement allows one extension of one milestone's due date."""

    class Status(models.TextChoices):
        PENDING = "pending", _("未提交")
        SUBMITTED = "submitted", _("待验收")
        RETURNED = "returned", _("退回修改")
        ACCEPTED = "accepted", _("已通过")

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="milestones")
    order = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("里程碑"), max_length=200)
    due_on = models.DateField(_("计划完成日期"))
    extended_from = models.DateField(_("原定日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    evidence = models.TextField(_("完成情况与证明材料"), blank=True)
    review_note = models.CharField(_("验收意见"), max_length=300, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("里程碑")
        verbose_name_plural = _("里程碑")
        ordering = ["agreement", "order"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "order"], name="milestone_unique_order")
        ]

    def __str__(self) -> str:
        return self.title


class Tranche(models.Model):
    """A payment tranche of the bounty. The signing tranche has no milestone and is released on signing;
    every other tranche is released only after its milestone's evidence is accepted."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("待拨付")
        RELEASED = "released", _("已拨付")

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="tranches")
    milestone = models.OneToOneField(
        Milestone, null=True, blank=True, on_delete=models.PROTECT, related_name="tranche"
    )
    amount = MoneyField(_("金额（元）"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    released_at = models.DateTimeField(_("拨付时间"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("拨付批次")
        verbose_name_plural = _("拨付批次")
        ordering = ["agreement", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="tranche_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount} ({self.get_status_display()})"


class IndicatorResult(models.Model):
    """The value measured for one indicator at final acceptance (验收), and whether it met the target."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="indicator_results"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    measured = models.DecimalField(_("实测值"), max_digits=16, decimal_places=4)
    met = models.BooleanField(_("达标"))

    class Meta:
        verbose_name = _("指标验收")
        verbose_name_plural = _("指标验收")
        ordering = ["agreement", "indicator__order", "indicator_id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "indicator"], name="indicator_result_once")
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.measured}"

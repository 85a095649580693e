"""The resource directory (资源库): organisations, experts, achievements, instruments, service items and
innovation platforms. Each record belongs to a region, is curated by that region's operators and — where it
has one — edited by members of its owning organisation."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import IndustryChain, Region, TechField
from kechuang.core.money import MoneyField
from kechuang.directory.validators import validate_credit_code, validate_patent_number


class Status(models.TextChoices):
    """Publication state of a directory record: members submit, the region's operators approve."""

    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("待审核")
    PUBLISHED = "published", _("已发布")
    RETURNED = "returned", _("已退回")
    ARCHIVED = "archived", _("已归档")


class ListingQuerySet(models.QuerySet):
    """Reads shared by every directory record type."""

    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def in_regions(self, regions):
        return self.filter(region__in=regions)

    def awaiting_review(self, regions):
        """Submitted records in ``regions`` that an operator has still to approve or return."""
        return self.in_regions(regions).filter(status=Status.PENDING)

    def managed_by(self, user):
        """Records an operator may curate: those in the regions they operate."""
        from kechuang.accounts.permissions import managed_regions

        return self.filter(region__in=managed_regions(user))

    def editable_by(self, user):
        """Records ``user`` may edit: their organisations' own, plus what they operate."""
        from kechuang.accounts.permissions import managed_regions, member_organization_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            Q(**{f"{self.model.OWNER_FIELD}__in": member_organization_ids(user)})
            | Q(region__in=managed_regions(user))
            | self.model.personal_condition(user)
        ).distinct()

    def visible_to(self, user):
        """Published records, plus unpublished ones that ``user`` may edit."""
        if not getattr(user, "is_authenticated", False):
            return self.published()
        return self.filter(
            Q(status=Status.PUBLISHED) | Q(pk__in=self.editable_by(user).values("pk"))
        )


class Listing(models.Model):
    """Fields every directory record has: a region, a publication status, chains and fields, timestamps."""

    OWNER_FIELD = "organization"  # the field naming the owning organisation; overridden per model

    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PUBLISHED, db_index=True
    )
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+"
    )
    industry_chains = models.ManyToManyField(
        IndustryChain, verbose_name=_("产业链"), blank=True, related_name="%(class)ss"
    )
    fields = models.ManyToManyField(
        TechField, verbose_name=_("技术领域"), blank=True, related_name="%(class)ss"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def personal_condition(cls, user) -> Q:
        """Extra records a user may edit personally (an expert their own profile). None by default."""
        return Q(pk__in=[])

    @property
    def owner_id(self) -> int | None:
        return getattr(self, f"{self.OWNER_FIELD}_id")


class Organization(Listing):
    """An enterprise, university, institute, testing body, society or service agency.

    Enterprises carry a cultivation tier (梯次培育) with its history in :class:`TierRecord`. The natural key
    is the 18-character unified social credit code (统一社会信用代码), validated with its check digit.
    """

    OWNER_FIELD = "pk"

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        UNIVERSITY = "university", _("高校")
        INSTITUTE = "institute", _("科研院所")
        NEW_RND = "new_rnd", _("新型研发机构")
        TESTING = "testing", _("检验检测机构")
        ENGINEERING_CENTER = "eng_center", _("企业工程技术中心")
        SOCIETY = "society", _("学会")
        SERVICE_AGENCY = "service", _("科技服务机构")

    class Tier(models.TextChoices):
        NONE = "", _("未入库")
        TECH_SME = "tech_sme", _("科技型中小企业")
        HIGH_TECH = "high_tech", _("高新技术企业")
        LEADER = "leader", _("创新型领军企业")

    name = models.CharField(_("名称"), max_length=100, db_index=True)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, db_index=True)
    tier = models.CharField(
        _("培育梯次"), max_length=10, choices=Tier.choices, blank=True, default=""
    )
    is_shared = models.BooleanField(
        _("共享机构"), default=False, help_text=_("加入区域科技资源共享平台，对外开放仪器与服务")
    )
    founded_year = models.PositiveSmallIntegerField(_("成立年份"), null=True, blank=True)
    employees = models.PositiveIntegerField(_("职工人数"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    website = models.URLField(_("网站"), blank=True)
    description = models.TextField(_("简介"), blank=True)
    main_products = models.CharField(_("主营产品/研究方向"), max_length=300, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "region", "kind"]),
            # public lists: newest first or by name among published rows (kechuang.directory.queries)
            models.Index(fields=["status", "updated_at", "id"], name="organization_pub_recent"),
            models.Index(fields=["status", "name", "id"], name="organization_pub_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def owner_id(self) -> int | None:
        return self.pk

    def get_absolute_url(self) -> str:
        return reverse("directory:organization", args=[self.pk])


class TierRecord(models.Model):
    """One step in an enterprise's cultivation history (一企一策 lists): which tier, from when, with the plan."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="tier_records"
    )
    tier = models.CharField(_("培育梯次"), max_length=10, choices=Organization.Tier.choices)
    recognized_on = models.DateField(_("认定日期"))
    plan = models.TextField(_("培育计划"), blank=True, help_text=_("一企一策"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("梯次培育记录")
        verbose_name_plural = _("梯次培育记录")
        ordering = ["organization", "recognized_on"]
        # The pilot indicators count one tier's steps in a period (new tech SMEs this year, this month).
        indexes = [models.Index(fields=["tier", "recognized_on"], name="tier_record_tier_day")]

    def __str__(self) -> str:
        return f"{self.organization} {self.get_tier_display()} {self.recognized_on}"


class Expert(Listing):
    """An expert, scientist or part-time engineer, with evidence of their work (:class:`ExpertWork`).

    ``phone`` and ``email`` are private: shown only to the expert, their region's operators and parties of
    an accepted engagement.
    """

    OWNER_FIELD = "affiliation"

    class Talent(models.TextChoices):
        ACADEMICIAN = "academician", _("院士团队")
        HIGH_LEVEL = "high_level", _("高层次人才")
        ENGINEER = "engineer", _("产业链兼职工程师")
        SCHOLAR = "scholar", _("专家学者")

    class Availability(models.TextChoices):
        AVAILABLE = "available", _("可对接")
        BUSY = "busy", _("档期紧张")
        UNAVAILABLE = "unavailable", _("暂不对接")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expert_profile",
    )
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    title = models.CharField(_("职称"), max_length=50, blank=True)
    affiliation = models.ForeignKey(
        Organization,
        verbose_name=_("工作单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="experts",
    )
    talent = models.CharField(
        _("人才类别"), max_length=12, choices=Talent.choices, default=Talent.SCHOLAR
    )
    is_part_time_engineer = models.BooleanField(_("兼职工程师"), default=False)
    availability = models.CharField(
        _("对接意愿"), max_length=12, choices=Availability.choices, default=Availability.AVAILABLE
    )
    keywords = models.JSONField(_("研究关键词"), default=list, blank=True)
    profile = models.TextField(_("个人简介"), blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    # Whether ``email`` is vouched for by the region's operators (entered or saved by them): only then may
    # the holder of an answer link sent to it claim this profile's login. An address typed in by an
    # organisation's member, or by anyone but an operator, is not (kechuang.directory.services).
    email_verified = models.BooleanField(
        _("邮箱已核实"),
        default=False,
        help_text=_(
            "运营方填写或保存过的邮箱视为已核实；只有已核实的邮箱可以通过对接邮件创建专家账号。"
        ),
    )

    class Meta:
        verbose_name = _("专家")
        verbose_name_plural = _("专家")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "region", "talent"]),
            # public lists: newest first or by name among published rows (kechuang.directory.queries)
            models.Index(fields=["status", "updated_at", "id"], name="expert_pub_recent"),
            models.Index(fields=["status", "name", "id"], name="expert_pub_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def personal_condition(cls, user) -> Q:
        return Q(user=user)

    def get_absolute_url(self) -> str:
        return reverse("directory:expert", args=[self.pk])


class ExpertWork(models.Model):
    """Evidence of an expert's competence: a paper, patent or project, with its abstract for matching."""

    class Kind(models.TextChoices):
        PAPER = "paper", _("论文")
        PATENT = "patent", _("专利")
        PROJECT = "project", _("项目")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="works")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("题目"), max_length=300)
    abstract = models.TextField(_("摘要"), blank=True)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    year = models.PositiveSmallIntegerField(_("年份"), null=True, blank=True)
    reference = models.CharField(_("出处/编号"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("专家成果")
        verbose_name_plural = _("专家成果")
        ordering = ["expert", "-year", "pk"]

    def __str__(self) -> str:
        return self.title


class Achievement(Listing):
    """A research achievement offered for transfer: a patent, software copyright, new product or process.

    Patents carry a validated Chinese patent number (the natural key for imports). ``asking_price`` empty
    means the price is negotiable (面议).
    """

    OWNER_FIELD = "owner"

    class Kind(models.TextChoices):
        INVENTION_PATENT = "invention", _("发明专利")
        UTILITY_PATENT = "utility", _("实用新型专利")
        DESIGN_PATENT = "design", _("外观设计专利")
        SOFTWARE = "software", _("软件著作权")
        NEW_PRODUCT = "product", _("新产品")
        NEW_PROCESS = "process", _("新工艺")
        NEW_MATERIAL = "material", _("新材料")
        OTHER = "other", _("其他")

    PATENT_KINDS = (Kind.INVENTION_PATENT, Kind.UTILITY_PATENT, Kind.DESIGN_PATENT)

    class Maturity(models.TextChoices):
        RESEARCH = "research", _("研发阶段")
        PILOT = "pilot", _("小试阶段")
        TRIAL = "trial", _("中试阶段")
        SMALL_BATCH = "batch", _("小批量生产")
        INDUSTRIAL = "industrial", _("产业化")

    title = models.CharField(_("成果名称"), max_length=200, db_index=True)
    kind = models.CharField(_("成果类型"), max_length=12, choices=Kind.choices, db_index=True)
    patent_number = models.CharField(
        _("专利号"),
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_patent_number],
    )
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("权属单位"),
        on_delete=models.PROTECT,
        related_name="achievements",
    )
    inventors = models.ManyToManyField(
        Expert, verbose_name=_("完成人"), blank=True, related_name="achievements"
    )
    description = models.TextField(_("成果简介"))
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    maturity = models.CharField(
        _("成熟度"), max_length=12, choices=Maturity.choices, default=Maturity.PILOT
    )
    allows_transfer = models.BooleanField(_("可转让"), default=True)
    allows_license = models.BooleanField(_("可许可"), default=True)
    allows_joint_development = models.BooleanField(_("可合作开发"), default=False)
    allows_equity = models.BooleanField(_("可作价入股"), default=False)
    asking_price = MoneyField(
        _("意向价格（元）"), null=True, blank=True, help_text=_("留空表示面议")
    )

    class Meta:
        verbose_name = _("科技成果")
        verbose_name_plural = _("科技成果")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "region", "kind"]),
            # public lists: newest first or by name among published rows (kechuang.directory.queries)
            models.Index(fields=["status", "updated_at", "id"], name="achievement_pub_recent"),
            models.Index(fields=["status", "title", "id"], name="achievement_pub_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(asking_price__isnull=True) | Q(asking_price__gte=0),
                name="achievement_price_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_patent(self) -> bool:
        return self.kind in self.PATENT_KINDS

    @property
    def transfer_modes(self) -> list[str]:
        pairs = [
            (self.allows_transfer, _("转让")),
            (self.allows_license, _("许可")),
            (self.allows_joint_development, _("合作开发")),
            (self.allows_equity, _("作价入股")),
        ]
        return [str(label) for allowed, label in pairs if allowed]

    def get_absolute_url(self) -> str:
        return reverse("directory:achievement", args=[self.pk])


class Instrument(Listing):
    """A large instrument (大型仪器设备) that its owner shares by the hour or by the sample.

    The natural key is the asset code (资产编号). Rates are in yuan per ``unit``, different for users
    inside and outside the owner.
    """

    OWNER_FIELD = "owner"

    class Category(models.TextChoices):
        ANALYTICAL = "analytical", _("分析仪器")
        PHYSICAL = "physical", _("物理性能测试仪器")
        METROLOGY = "metrology", _("计量仪器")
        ELECTRONIC = "electronic", _("电子测量仪器")
        MEDICAL = "medical", _("医学科研仪器")
        SPECIAL = "special", _("特种检测仪器")
        PROCESS = "process", _("工艺试验设备")
        COMPUTING = "computing", _("计算机及其配套设备")
        OTHER = "other", _("其他仪器")

    class Unit(models.TextChoices):
        HOUR = "hour", _("小时")
        SAMPLE = "sample", _("样品")

    class State(models.TextChoices):
        AVAILABLE = "available", _("可预约")
        MAINTENANCE = "maintenance", _("维护中")
        RETIRED = "retired", _("已停用")

    name = models.CharField(_("仪器名称"), max_length=100, db_index=True)
    asset_code = models.CharField(_("资产编号"), max_length=40, unique=True)
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        related_name="instruments",
    )
    category = models.CharField(
        _("仪器类别"), max_length=12, choices=Category.choices, db_index=True
    )
    model_number = models.CharField(_("规格型号"), max_length=100, blank=True)
    manufacturer = models.CharField(_("生产厂商"), max_length=100, blank=True)
    original_value = MoneyField(_("原值（元）"), null=True, blank=True)
    location = models.CharField(_("放置地点"), max_length=200, blank=True)
    description = models.TextField(_("主要功能与技术指标"), blank=True)
    unit = models.CharField(_("计费单位"), max_length=8, choices=Unit.choices, default=Unit.HOUR)
    internal_rate = MoneyField(_("内部收费（元）"), default=0)
    external_rate = MoneyField(_("对外收费（元）"), default=0)
    state = models.CharField(
        _("运行状态"), max_length=12, choices=State.choices, default=State.AVAILABLE
    )
    accepts_vouchers = models.BooleanField(_("支持创新券"), default=True)

    class Meta:
        verbose_name = _("大型仪器")
        verbose_name_plural = _("大型仪器")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "region", "category"]),
            # public lists: newest first or by name among published rows (kechuang.directory.queries)
            models.Index(fields=["status", "updated_at", "id"], name="instrument_pub_recent"),
            models.Index(fields=["status", "name", "id"], name="instrument_pub_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(internal_rate__gte=0) & Q(external_rate__gte=0),
                name="instrument_rates_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:instrument", args=[self.pk])


class ServiceItem(Listing):
    """A service item (双创服务项目) offered by a provider: testing, R&D, IP, consulting, incubation…"""

    OWNER_FIELD = "provider"

    class Category(models.TextChoices):
        TESTING = "testing", _("检验检测")
        RND = "rnd", _("研究开发")
        TRANSFER = "transfer", _("技术转移")
        IP = "ip", _("知识产权")
        CONSULTING = "consulting", _("科技咨询")
        INCUBATION = "incubation", _("创业孵化")
        FINANCE = "finance", _("科技金融")
        TRAINING = "training", _("人才培训")

    title = models.CharField(_("服务名称"), max_length=100, db_index=True)
    provider = models.ForeignKey(
        Organization,
        verbose_name=_("服务机构"),
        on_delete=models.PROTECT,
        related_name="service_items",
    )
    category = models.CharField(
        _("服务类别"), max_length=12, choices=Category.choices, db_index=True
    )
    description = models.TextField(_("服务内容"))
    price = MoneyField(_("参考价格（元）"), null=True, blank=True, help_text=_("留空表示面议"))
    price_unit = models.CharField(_("计价单位"), max_length=20, blank=True, default="次")
    accepts_vouchers = models.BooleanField(_("支持创新券"), default=True)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "region", "category"]),
            # public lists: newest first or by name among published rows (kechuang.directory.queries)
            models.Index(fields=["status", "updated_at", "id"], name="serviceitem_pub_recent"),
            models.Index(fields=["status", "title", "id"], name="serviceitem_pub_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0),
                name="serviceitem_price_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("directory:service", args=[self.pk])


class InnovationPlatform(Listing):
    """An innovation platform hosted by an organisation: key lab, engineering centre, postdoc workstation…"""

    OWNER_FIELD = "host"

    class Kind(models.TextChoices):
        KEY_LAB = "key_lab", _("重点实验室")
        ENGINEERING = "engineering", _("工程技术研究中心")
        ENTERPRISE_INSTITUTE = "ent_institute", _("企业研究院")
        POSTDOC = "postdoc", _("博士后工作站")
        ACADEMICIAN = "academician", _("院士专家工作站")
        INCUBATOR = "incubator", _("孵化器/众创空间")

    class Level(models.TextChoices):
        NATIONAL = "national", _("国家级")
        PROVINCIAL = "provincial", _("省级")
        MUNICIPAL = "municipal", _("市级")
        COUNTY = "county", _("区县级")

    name = models.CharField(_("平台名称"), max_length=100, db_index=True)
    kind = models.CharField(_("平台类型"), max_length=14, choices=Kind.choices, db_index=True)
    level = models.CharField(_("级别"), max_length=12, choices=Level.choices)
    host = models.ForeignKey(
        Organization, verbose_name=_("依托单位"), on_delete=models.PROTECT, related_name="platforms"
    )
    established_year = models.PositiveSmallIntegerField(_("认定年份"), null=True, blank=True)
    description = models.TextField(_("简介"), blank=True)

    class Meta:
        verbose_name = _("创新平台")
        verbose_name_plural = _("创新平台")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            # public lists: newest first or by name among published rows (kechuang.directory.queries)
            models.Index(fields=["status", "updated_at", "id"], name="platform_pub_recent"),
            models.Index(fields=["status", "name", "id"], name="platform_pub_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:platform", args=[self.pk])

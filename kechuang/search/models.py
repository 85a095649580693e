"""The search app's records: the search vocabulary operators edit (domain terms, synonym groups, stop
words), the index rebuilds a vocabulary change queues, and the latest embedding run's progress.

These models lived in the core app until the search glue got an app of its own; migration
``search.0001_move_from_core`` took over their tables and rows."""

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import Region
from kechuang.matching.text import normalize

MAX_TERM_CHARS = 30
MAX_SYNONYM_TERMS = 20
# What separates the terms of a synonym group when typed or pasted (and joins them when stored).
SYNONYM_SEPARATORS = re.compile(r"[\s,，、;；]+")
# Besides letters and digits, Latin technical terms may carry these joiners (``pro/toolkit``, ``c++``).
LATIN_JOINERS = frozenset("./+-_#")


class VocabularyEntryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def containing(self, query: str | None):
        """Entries whose text contains ``query`` as the analyzer sees it (繁體 finds 简体); all of them for
        an empty query."""
        folded = normalize(query or "").strip()
        return self.filter(text__contains=folded) if folded else self

    def manageable_by(self, user):
        """Entries ``user`` may deactivate: their own, and those added in the regions they operate (all
        for a superuser) — never a stop word, which applies to every region, unless a superuser."""
        from kechuang.accounts.permissions import managed_regions

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        return self.exclude(kind=VocabularyEntry.Kind.STOPWORD).filter(
            models.Q(created_by=user) | models.Q(region__in=managed_regions(user))
        )


def clean_term(raw: str, kind: str) -> str:
    """One term as the analyzer sees it (full-width folded, 繁→简, lower case), or a
    :class:`ValidationError` saying in Chinese what is wrong with it."""
    term = normalize(raw).strip()
    if not term:
        raise ValidationError(_("词语不能为空"))
    if len(term) > MAX_TERM_CHARS:
        raise ValidationError(
            _("“%(term)s”太长：一个词语最多 %(limit)d 个字符"),
            params={"term": term[:MAX_TERM_CHARS] + "…", "limit": MAX_TERM_CHARS},
        )
    if SYNONYM_SEPARATORS.search(term):
        raise ValidationError(
            _("“%(term)s”中有空格或分隔符：一个词语不能含空格、逗号或顿号"), params={"term": term}
        )
    cjk = any(unicodedata.name(c, "").startswith("CJK") for c in term)
    allowed = term.isalnum() or (not cjk and all(c.isalnum() or c in LATIN_JOINERS for c in term))
    if not allowed or not any(c.isalnum() for c in term):
        raise ValidationError(
            _("“%(term)s”含有标点或符号：只能使用汉字、字母和数字（英文术语可含 . / + - _ #）"),
            params={"term": term},
        )
    if kind == VocabularyEntry.Kind.TERM and len(term) < 2:
        raise ValidationError(_("领域词至少要有两个字符"))
    return term


def clean_terms(text: str, kind: str) -> list[str]:
    """The normalised terms of an entry's text: one term, or for a synonym group at least two distinct
    terms (duplicates after normalisation are dropped, the first spelling's order kept)."""
    if kind != VocabularyEntry.Kind.SYNONYM:
        return [clean_term(text, kind)]
    terms: list[str] = []
    for raw in SYNONYM_SEPARATORS.split(normalize(text)):
        if raw and (term := clean_term(raw, kind)) not in terms:
            terms.append(term)
    if len(terms) < 2:
        raise ValidationError(_("同义词组至少要有两个不同的词"))
    if len(terms) > MAX_SYNONYM_TERMS:
        raise ValidationError(_("同义词组最多 %(limit)d 个词"), params={"limit": MAX_SYNONYM_TERMS})
    return terms


class VocabularyEntry(models.Model):
    """One entry of the search vocabulary that operators edit: a domain term kept whole by the
    tokeniser, a group of interchangeable terms, or a stop word.

    Guarantees: ``text`` is normalised like the text the analyzer reads (繁→简, full-width folded,
    lower case; a synonym group's terms joined by ``,``); at most one active entry per kind has the same
    ``key`` (the term, or the group's terms sorted) — enforced by the database; removal only deactivates,
    so the history (who added and who removed what, when) is kept.
    """

    class Kind(models.TextChoices):
        TERM = "term", _("领域词")
        SYNONYM = "synonym", _("同义词组")
        STOPWORD = "stopword", _("停用词")

    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("词语"), max_length=MAX_SYNONYM_TERMS * (MAX_TERM_CHARS + 1))
    key = models.CharField(  # set by clean(): the term, or the group's terms sorted
        max_length=MAX_SYNONYM_TERMS * (MAX_TERM_CHARS + 1), editable=False, blank=True
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("所属区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField(_("有效"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("添加人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("添加时间"), auto_now_add=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("删除人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deactivated_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    # The latest change: every process compares the newest one with what its analyzer was built from.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = VocabularyEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("检索词表条目")
        verbose_name_plural = _("检索词表")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=models.Q(active=True),
                name="vocabulary_unique_active_key",
                violation_error_message=_("已有相同的有效条目"),
            ),
            models.CheckConstraint(
                condition=~models.Q(key="") & ~models.Q(text=""), name="vocabulary_not_empty"
            ),
        ]
        indexes = [  # the page's order
            models.Index(fields=["kind", "active", "-created_at"], name="vocabulary_page_order")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}:{self.text}"

    @property
    def terms(self) -> list[str]:
        return self.text.split(",")

    def clean(self) -> None:
        """Normalise ``text`` (and set ``key``) and refuse contradictions with the active entries (see
        :meth:`ActiveVocabulary.conflict`); duplicates are refused by the unique constraint."""
        try:
            terms = clean_terms(self.text, self.kind)
        except ValidationError as error:
            raise ValidationError({"text": error.error_list}) from error
        self.text, self.key = ",".join(terms), ",".join(sorted(terms))
        if self.active:
            conflict = ActiveVocabulary.load(exclude=self.pk).conflict(self.kind, terms)
            if conflict:
                raise ValidationError({"text": conflict})


class ActiveVocabulary:
    """The active entries in memory, to check new ones against: duplicates, and words that would be both a
    stop word and a dictionary word (a stop word is dropped, so the dictionary word would never match)."""

    def __init__(self, entries) -> None:
        self.keys: dict[str, set[str]] = {kind: set() for kind in VocabularyEntry.Kind.values}
        self.stopwords: set[str] = set()
        self.dictionary: set[str] = set()
        for kind, text in entries:
            self.add(kind, text.split(","))

    @classmethod
    def load(cls, exclude: int | None = None) -> "ActiveVocabulary":
        return cls(VocabularyEntry.objects.active().exclude(pk=exclude).values_list("kind", "text"))

    def add(self, kind: str, terms: list[str]) -> None:
        self.keys[kind].add(",".join(sorted(terms)))
        (self.stopwords if kind == VocabularyEntry.Kind.STOPWORD else self.dictionary).update(terms)

    def duplicate(self, kind: str, terms: list[str]) -> bool:
        return ",".join(sorted(terms)) in self.keys[kind]

    def conflict(self, kind: str, terms: list[str]) -> str:
        """Why these normalised terms contradict the stop words or dictionary words ("" if they do not)."""
        if kind == VocabularyEntry.Kind.STOPWORD:
            if terms[0] in self.dictionary:
                return str(_("“%(term)s”是领域词或同义词，不能同时作为停用词") % {"term": terms[0]})
        else:
            clash = next((t for t in terms if t in self.stopwords), None)
            if clash:
                return str(_("“%(term)s”是停用词，请先删除该停用词") % {"term": clash})
        return ""


class IndexRebuild(models.Model):
    """A full rebuild of the search index, queued after a vocabulary change that alters how text is
    segmented. A burst of changes is coalesced: at most one rebuild waits in the queue at a time (a
    database constraint), and it reads the vocabulary as it is when it starts."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("重建中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)

    class Meta:
        verbose_name = _("索引重建")
        verbose_name_plural = _("索引重建")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="queued"),
                name="indexrebuild_one_queued",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class EmbeddingRun(models.Model):
    """The latest run of the embedding task (dense vectors for the records the index holds), written by
    :func:`kechuang.search.indexing.embed_pending` as it goes, so operators can see how far it is and how
    long it will take. Only the newest run is kept; a run the worker abandoned stays unfinished until
    the next one replaces it."""

    started_at = models.DateTimeField(_("开始时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done = models.PositiveIntegerField(_("已计算"), default=0)
    total = models.PositiveIntegerField(_("本次待计算"), default=0)

    class Meta:
        verbose_name = _("语义向量计算")
        verbose_name_plural = _("语义向量计算")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.done}/{self.total}"

    @property
    def rate(self) -> float | None:
        """Vectors per second so far (``None`` before the first batch is written)."""
        elapsed = (self.updated_at - self.started_at).total_seconds()
        return self.done / elapsed if self.done and elapsed > 0 else None

    @property
    def seconds_left(self) -> float | None:
        """Estimated seconds until this run ends, at the rate so far (0 once finished)."""
        if self.finished_at is not None or self.done >= self.total:
            return 0.0
        rate = self.rate
        return (self.total - self.done) / rate if rate else None

"""Services of the search vocabulary that operators edit: domain terms, synonym groups and stop words.

Every change goes through a function here: it checks that the user is an operator, validates (see
:meth:`kechuang.search.models.VocabularyEntry.clean`), writes in one transaction with an audit row per entry,
and after the commit makes the change visible to the search engine:

- this process forgets its backend at once; every other process notices the newer vocabulary within
  :data:`kechuang.search.indexing.VOCABULARY_CHECK_SECONDS` and reloads its own, so synonyms and stop words
  apply to queries without a restart;
- a change that alters how text is segmented (a dictionary word or synonym group added or removed, a stop
  word removed) queues a full index rebuild, coalesced so that a burst of edits runs one rebuild
  (:func:`request_rebuild`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import is_operator
from kechuang.core import audit
from kechuang.core.actions import Refused
from kechuang.core.models import Region
from kechuang.core.uploads import check_size, decode_text
from kechuang.matching.text import Analyzer, normalize
from kechuang.search import indexing
from kechuang.search.models import ActiveVocabulary, IndexRebuild, VocabularyEntry, clean_terms

MAX_BULK_LINES = 5000
MAX_ANALYZE_CHARS = 2000
# A queued rebuild whose task has not started after this long is queued again (its task was lost, e.g.
# the queue was down when it was sent); a second task for the same rebuild finds it taken and does nothing.
STALE_QUEUED = timedelta(minutes=15)


@dataclass(frozen=True)
class LineError:
    """One refused line of a bulk addition: its line number (``None`` for the input as a whole), its text
    and the reason, in Chinese."""

    line: int | None
    text: str
    message: str


@dataclass
class BulkResult:
    """What a bulk addition did: every entry created, or nothing and the errors of every bad line."""

    entries: list[VocabularyEntry] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _require_operator(user) -> None:
    if not is_operator(user):
        raise PermissionDenied(_("只有运营人员可以维护检索词表"))


# Kinds whose entries take words out of every region's search: only a platform operator (a superuser)
# adds or removes them, so one region's operator cannot empty the others' search. Domain terms and
# synonym groups stay with each region's operators; the editor shows every operator who added what.
PLATFORM_ONLY_KINDS = frozenset({VocabularyEntry.Kind.STOPWORD})


def may_add(user, kind: str) -> bool:
    """Whether an operator ``user`` may add entries of ``kind`` (the check behind the editor's forms and
    the services; that ``user`` is an operator at all is checked before)."""
    return kind not in PLATFORM_ONLY_KINDS or user.is_superuser


def _require_may_add(user, kind: str) -> None:
    _require_operator(user)
    if not may_add(user, kind):
        raise PermissionDenied(
            _("停用词对所有区域的检索生效，只能由平台管理员维护；请联系平台管理员。")
        )


def operator_region(user) -> Region | None:
    """The region an operator's entries are filed under: their highest mandate's (none for a superuser
    without a mandate)."""
    mandate = user.mandates.select_related("region").order_by("region__path").first()
    return mandate.region if mandate else None


def changes_segmentation(kind: str) -> bool:
    """Whether adding an entry of ``kind`` changes how indexed text is segmented (removing any does)."""
    return kind != VocabularyEntry.Kind.STOPWORD


def _after_commit(user, rebuild: bool) -> None:
    transaction.on_commit(lambda: _apply(user, rebuild))


def _apply(user, rebuild: bool) -> None:
    indexing.reset_backend()
    if rebuild:
        request_rebuild(user)


def _summary(entry: VocabularyEntry) -> str:
    return f"{entry.get_kind_display()}:{entry.text}"


def add_entry(user, kind: str, text: str, note: str = "") -> VocabularyEntry:
    """Add one active entry (``text`` is one term, or for a synonym group its terms separated by commas,
    spaces or 、). Raises :class:`ValidationError` (with a ``text`` message) for a bad or duplicate one,
    and :class:`PermissionDenied` for a platform-wide kind (stop words) added by a region's operator."""
    _require_may_add(user, kind)
    entry = VocabularyEntry(
        kind=kind, text=text, note=note.strip(), region=operator_region(user), created_by=user
    )
    entry.full_clean()
    if kind == VocabularyEntry.Kind.STOPWORD and (split := _split_stopword(entry.text)):
        raise ValidationError({"text": split})
    try:
        with transaction.atomic():
            entry.save()
            audit.record(user, "vocabulary.add", entry, _summary(entry), kind=kind, text=entry.text)
            _after_commit(user, changes_segmentation(kind))
    except IntegrityError as error:  # the same entry added at the same moment by someone else
        raise ValidationError(_("已有相同的有效条目")) from error
    return entry


def _split_stopword(term: str, analyzer: Analyzer | None = None) -> str:
    """Why ``term`` would do nothing as a stop word ("" if it would work): stop words drop whole tokens,
    and the segmenter cuts this one into others."""
    tokens = (analyzer or indexing.current_analyzer()).tokens(term)
    if not tokens or term in tokens:
        return ""
    return _("“%(term)s”会被切分为“%(parts)s”，停用词只对完整的词起作用，请分别添加") % {
        "term": term,
        "parts": " / ".join(tokens),
    }


def add_entries(user, kind: str, lines: list[tuple[int, str]], note: str = "") -> BulkResult:
    """Add one entry per ``(line number, text)``, all or nothing: if any line is bad (invalid, a duplicate
    of an active entry or of an earlier line), nothing is written and every bad line is reported."""
    _require_may_add(user, kind)
    result = BulkResult()
    if not lines:
        result.errors.append(LineError(None, "", _("没有找到任何词语")))
    if len(lines) > MAX_BULK_LINES:
        result.errors.append(
            LineError(
                None, "", _("一次最多添加 %(limit)d 行，请分批添加") % {"limit": MAX_BULK_LINES}
            )
        )
        return result
    active = ActiveVocabulary.load()
    analyzer = indexing.current_analyzer() if kind == VocabularyEntry.Kind.STOPWORD else None
    first_line: dict[str, int] = {}
    region = operator_region(user)
    for number, text in lines:
        try:
            terms = clean_terms(text, kind)
        except ValidationError as error:
            result.errors.append(LineError(number, text, "；".join(error.messages)))
            continue
        key = ",".join(sorted(terms))
        if key in first_line:
            message = _("与第 %(line)d 行重复") % {"line": first_line[key]}
        elif active.duplicate(kind, terms):
            message = _("已有相同的有效条目")
        elif kind == VocabularyEntry.Kind.STOPWORD:
            message = active.conflict(kind, terms) or _split_stopword(terms[0], analyzer)
        else:
            message = active.conflict(kind, terms)
        if message:
            result.errors.append(LineError(number, text, message))
            continue
        first_line[key] = number
        active.add(kind, terms)
        result.entries.append(
            VocabularyEntry(
                kind=kind,
                text=",".join(terms),
                key=key,
                note=note.strip(),
                region=region,
                created_by=user,
            )
        )
    if result.errors:
        result.entries = []
        return result
    try:
        with transaction.atomic():
            result.entries = VocabularyEntry.objects.bulk_create(result.entries)
            for entry in result.entries:
                audit.record(
                    user, "vocabulary.add", entry, _summary(entry), kind=kind, text=entry.text
                )
            _after_commit(user, changes_segmentation(kind))
    except IntegrityError:
        result.entries = []
        result.errors.append(LineError(None, "", _("词表刚被其他人修改，请重新提交")))
    return result


def read_word_list(data: bytes | str) -> list[tuple[int, str]]:
    """The entries of a pasted or uploaded word list as ``(line number, text)``: one entry a line (a
    synonym group's terms separated by commas, spaces or 、), CSV quoting understood, blank lines and lines
    starting with ``#`` skipped. Bytes are decoded like imports are (UTF-8 with or without BOM, GBK);
    :class:`~kechuang.directory.transfer.readers.UnreadableFile` says why a file cannot be read."""
    if isinstance(data, bytes):
        check_size(len(data))
        data = decode_text(data)
    lines = []
    for number, line in enumerate(data.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([line]))]
        lines.append((number, ",".join(cell for cell in cells if cell)))
    return lines


def deactivate(user, entry_id: int) -> VocabularyEntry:
    """Deactivate an entry (its row and history stay). Operators may remove their own entries and those
    added in the regions they operate (stop words: only a superuser); raises ``VocabularyEntry.DoesNotExist``, :class:`PermissionDenied`,
    or :class:`~kechuang.core.actions.Refused` for an entry already removed."""
    _require_operator(user)
    entry = VocabularyEntry.objects.get(pk=entry_id)
    if not VocabularyEntry.objects.manageable_by(user).filter(pk=entry.pk).exists():
        _require_may_add(user, entry.kind)
        raise PermissionDenied(_("只能删除自己或本区域运营人员添加的条目"))
    now = timezone.now()
    with transaction.atomic():
        changed = VocabularyEntry.objects.filter(pk=entry.pk, active=True).update(
            active=False, deactivated_by=user, deactivated_at=now, updated_at=now
        )
        if not changed:
            raise Refused(_("该条目已删除"), code="removed")
        entry.refresh_from_db()
        audit.record(user, "vocabulary.deactivate", entry, _summary(entry), kind=entry.kind)
        _after_commit(user, True)
    return entry


def request_rebuild(user=None) -> IndexRebuild:
    """Queue a full rebuild of the search index, unless one is already waiting (it has not started, so it
    will read the vocabulary as it is now). Called after the change has committed."""
    queued = IndexRebuild.objects.filter(status=IndexRebuild.Status.QUEUED).first()
    if queued is None:
        try:
            with transaction.atomic():
                queued = IndexRebuild.objects.create(requested_by=user)
        except (
            IntegrityError
        ):  # another process queued one just now: it has not read the vocabulary yet
            return IndexRebuild.objects.filter(status=IndexRebuild.Status.QUEUED).first() or queued
        else:
            _enqueue(queued)
    elif queued.requested_at < timezone.now() - STALE_QUEUED:
        _enqueue(queued)
    return queued


def _enqueue(rebuild: IndexRebuild) -> None:
    from kechuang.search.tasks import rebuild_index

    transaction.on_commit(lambda: rebuild_index.enqueue(rebuild.pk))


def run_rebuild(rebuild_id: int) -> int:
    """Run a queued rebuild (once: a rebuild already taken is left alone) with the vocabulary as it is now,
    recording progress on its row; returns the number of documents indexed."""
    taken = IndexRebuild.objects.filter(pk=rebuild_id, status=IndexRebuild.Status.QUEUED).update(
        status=IndexRebuild.Status.RUNNING, started_at=timezone.now()
    )
    if not taken:
        return 0
    rows = IndexRebuild.objects.filter(pk=rebuild_id)

    def progress(done: int, total: int) -> None:
        # About a hundred row updates, however large the index.
        if done == total or done % max(1, total // 100) == 0:
            rows.update(done=done, total=total)

    indexing.reset_backend()
    try:
        count = indexing.rebuild_all(progress=progress)
    except Exception:
        rows.update(status=IndexRebuild.Status.FAILED, finished_at=timezone.now())
        raise
    rows.update(
        status=IndexRebuild.Status.DONE, done=count, total=count, finished_at=timezone.now()
    )
    return count


def latest_rebuild() -> IndexRebuild | None:
    return IndexRebuild.objects.first()


@dataclass
class Analysis:
    """How the current vocabulary reads a sample text: its normalised form, its index terms, the weighted
    terms of a query made of it (synonym expansions marked), and which synonyms each term brings in."""

    normalized: str
    tokens: list[str]
    terms: list[tuple[str, float, bool]]  # (term, weight, came from a synonym)
    expansions: list[tuple[str, list[str]]]


def analyze(user, text: str) -> Analysis:
    """Segment ``text`` and expand it as a query with the vocabulary in force (试分词)."""
    _require_operator(user)
    analyzer = indexing.current_analyzer()
    text = text[:MAX_ANALYZE_CHARS]
    tokens = analyzer.tokens(text)
    own = set(tokens)
    weights = analyzer.query_terms(text)
    expansions = [
        (token, analyzer.synonyms[token])
        for token in dict.fromkeys(tokens)
        if analyzer.synonyms.get(token)
    ]
    return Analysis(
        normalized=normalize(text),
        tokens=tokens,
        terms=[(term, weight, term not in own) for term, weight in weights.items()],
        expansions=expansions,
    )

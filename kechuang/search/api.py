"""Search vocabulary API (``/api/vocabulary/``), for operators (session sign-in): list the entries, add one,
deactivate one, try how a text is segmented and expanded (``analyze``), and see the latest index rebuild.
Each write calls one service of :mod:`kechuang.search.vocabulary`; invalid input is a 422 (with the reasons
in Chinese), an entry the operator may not remove a 403, an entry already removed a 409.
"""

from datetime import datetime

from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from kechuang.accounts.permissions import is_operator
from kechuang.core.schemas import Input
from kechuang.search import vocabulary
from kechuang.search.models import IndexRebuild, VocabularyEntry

router = Router(tags=["vocabulary"])

MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000


class EntryIn(Input):
    kind: VocabularyEntry.Kind
    text: str = Field(
        max_length=1000,
        pattern=r"\S",
        description="a term, or a synonym group's terms separated by commas",
    )
    note: str = Field("", max_length=200)


class EntryOut(Schema):
    id: int
    kind: str
    text: str
    terms: list[str]
    note: str
    region: str | None
    active: bool
    created_by: str | None
    created_at: datetime
    deactivated_at: datetime | None

    @staticmethod
    def resolve_region(entry: VocabularyEntry) -> str | None:
        return entry.region.code if entry.region_id else None

    @staticmethod
    def resolve_created_by(entry: VocabularyEntry) -> str | None:
        return entry.created_by.username if entry.created_by_id else None


class EntryFilters(Input):
    kind: VocabularyEntry.Kind | None = None
    q: str | None = None
    active: bool = True
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class AnalyzeIn(Input):
    text: str = Field(max_length=vocabulary.MAX_ANALYZE_CHARS)


class TermOut(Schema):
    term: str
    weight: float
    synonym: bool  # brought in by a synonym group, not in the text itself


class ExpansionOut(Schema):
    term: str
    synonyms: list[str]


class AnalysisOut(Schema):
    normalized: str
    tokens: list[str]
    query_terms: list[TermOut]
    expansions: list[ExpansionOut]


class RebuildOut(Schema):
    status: IndexRebuild.Status
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    done: int
    total: int


def _operator(request) -> None:
    if not is_operator(request.user):
        raise HttpError(403, "只有运营人员可以维护检索词表")


def _call(service, request, *args):
    _operator(request)
    return service(request.user, *args)


@router.get("/", response=list[EntryOut], auth=django_auth)
def list_entries(request, filters: Query[EntryFilters]):
    """Entries, newest first: of one ``kind``, containing ``q`` (繁體 finds 简体), active or removed."""
    _operator(request)
    entries = VocabularyEntry.objects.filter(active=filters.active).select_related(
        "region", "created_by"
    )
    if filters.kind:
        entries = entries.filter(kind=filters.kind)
    entries = entries.containing(filters.q)
    start = (filters.page - 1) * filters.page_size
    return entries[start : start + filters.page_size]


@router.post("/", response={201: EntryOut}, auth=django_auth)
def add_entry(request, payload: EntryIn):
    entry = _call(vocabulary.add_entry, request, payload.kind, payload.text, payload.note)
    return Status(201, entry)


@router.post("/{int:entry_id}/deactivate", response=EntryOut, auth=django_auth)
def deactivate(request, entry_id: int):
    _operator(request)
    try:
        return vocabulary.deactivate(request.user, entry_id)
    except VocabularyEntry.DoesNotExist as error:
        raise HttpError(404, "没有找到该条目") from error


@router.post("/analyze", response=AnalysisOut, auth=django_auth)
def analyze(request, payload: AnalyzeIn):
    """How ``text`` is segmented (index terms) and the weighted terms of a query made of it, with the
    vocabulary in force."""
    analysis = _call(vocabulary.analyze, request, payload.text)
    return {
        "normalized": analysis.normalized,
        "tokens": analysis.tokens,
        "query_terms": [
            {"term": term, "weight": weight, "synonym": synonym}
            for term, weight, synonym in analysis.terms
        ],
        "expansions": [
            {"term": term, "synonyms": synonyms} for term, synonyms in analysis.expansions
        ],
    }


@router.get("/rebuild", response={200: RebuildOut, 204: None}, auth=django_auth)
def rebuild_status(request):
    """The latest index rebuild queued by a vocabulary change (204 if there has been none)."""
    _operator(request)
    rebuild = vocabulary.latest_rebuild()
    return rebuild if rebuild else Status(204, None)

"""Public pages of the resource directory: the home page, the search across all types, a list page per
record type and a detail page per record. Reads only; records are edited under ``/manage/``.

Private fields (``Expert.phone``/``email``, ``Organization.contact_*``) are never passed to these
templates' output: they show "对接成功后可见" in their place.
"""

from django.core.cache import cache
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from kechuang.core.models import Federation, Region
from kechuang.directory.models import (
    Achievement,
    Expert,
    ExpertWork,
    InnovationPlatform,
    Instrument,
    Organization,
    ServiceItem,
)
from kechuang.directory.queries import (
    TYPES,
    DirectoryFilterForm,
    ListingType,
    browse,
    hit_pk,
    ranked_records,
)
from kechuang.search.indexing import search

HOME_COUNTS_SECONDS = 300
SEARCH_PREVIEW = 5  # hits per type on the all-types search page
RELATED_LIMIT = 10  # related records shown on a detail page before "查看全部"


def _published_counts() -> dict[str, int]:
    """Published records per type, cached for a few minutes (six ``COUNT(*)`` over large tables)."""
    counts = cache.get("directory:home-counts")
    if counts is None:
        counts = {name: t.model.objects.published().count() for name, t in TYPES.items()}
        cache.set("directory:home-counts", counts, HOME_COUNTS_SECONDS)
    return counts


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What the platform is, one search box, the size of each list, the pilot regions and federations."""
    counts = _published_counts()
    return render(
        request,
        "home.html",
        {
            "types": [(t, counts[name]) for name, t in TYPES.items()],
            "pilots": Region.objects.pilots().select_related("parent").order_by("path"),
            "federations": Federation.objects.prefetch_related(
                Prefetch("members", queryset=Region.objects.order_by("path"))
            ).order_by("name"),
        },
    )


@require_GET
def search_all(request: HttpRequest) -> HttpResponse:
    """One keyword across every record type, the best few of each type with their evidence."""
    query = " ".join(request.GET.get("q", "").split())[:100]
    groups = []
    if query:
        for name, listing in TYPES.items():
            hits = search(query, types=[name], k=SEARCH_PREVIEW)
            if not hits:
                continue
            by_pk = {hit_pk(hit): hit for hit in hits}
            rows = [(record, by_pk[record.pk]) for record in ranked_records(listing, list(by_pk))]
            if rows:
                groups.append((listing, rows))
    return render(request, "directory/search.html", {"query": query, "groups": groups})


@require_GET
def listing_page(request: HttpRequest, name: str) -> HttpResponse:
    """A list page: keyword, filters, sort and pages. An htmx request gets only the results fragment
    (the filter form stays in place); a history restore gets the whole page."""
    listing = TYPES[name]
    form = DirectoryFilterForm(listing, request.GET)
    results = browse(listing, form)
    partial = bool(request.htmx and not request.htmx.history_restore_request)
    context = {"listing": listing, "form": form, "results": results, "partial": partial}
    template = "directory/_results.html" if partial else "directory/list.html"
    return render(request, template, context)


def _detail(request: HttpRequest, listing: ListingType, queryset, pk: int) -> HttpResponse:
    """A record the user may see (published, or their own draft) on its type's detail template."""
    record = get_object_or_404(queryset.visible_to(request.user), pk=pk)
    return render(
        request, f"directory/{listing.name}_detail.html", {"listing": listing, "record": record}
    )


def _region_path(model):
    """Each record's region with its parents, so ``region.full_name`` costs no extra query."""
    return model.objects.select_related("region__parent__parent").prefetch_related(
        "industry_chains", "fields"
    )


def _limited(queryset) -> tuple[list, bool]:
    """The first :data:`RELATED_LIMIT` rows and whether there are more (one query, no count)."""
    rows = list(queryset[: RELATED_LIMIT + 1])
    return rows[:RELATED_LIMIT], len(rows) > RELATED_LIMIT


@require_GET
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(_region_path(Organization).visible_to(request.user), pk=pk)
    related = [
        (TYPES["expert"], *_limited(record.experts.published().order_by("name"))),
        (TYPES["achievement"], *_limited(record.achievements.published())),
        (TYPES["instrument"], *_limited(record.instruments.published().order_by("name"))),
        (TYPES["service"], *_limited(record.service_items.published().order_by("title"))),
        (TYPES["platform"], *_limited(record.platforms.published().order_by("name"))),
    ]
    return render(
        request,
        "directory/organization_detail.html",
        {"listing": TYPES["organization"], "record": record, "related": related},
    )


@require_GET
def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    queryset = (
        _region_path(Expert)
        .select_related("affiliation")
        .prefetch_related(
            Prefetch("works", queryset=ExpertWork.objects.order_by("kind", "-year", "pk")),
            Prefetch(
                "achievements",
                queryset=Achievement.objects.published().order_by("-updated_at"),
                to_attr="published_achievements",
            ),
        )
    )
    return _detail(request, TYPES["expert"], queryset, pk)


@require_GET
def achievement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    queryset = (
        _region_path(Achievement)
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "inventors",
                queryset=Expert.objects.published().order_by("name"),
                to_attr="published_inventors",
            )
        )
    )
    return _detail(request, TYPES["achievement"], queryset, pk)


@require_GET
def instrument_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(
        request, TYPES["instrument"], _region_path(Instrument).select_related("owner"), pk
    )


@require_GET
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(
        request, TYPES["service"], _region_path(ServiceItem).select_related("provider"), pk
    )


@require_GET
def platform_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(
        request, TYPES["platform"], _region_path(InnovationPlatform).select_related("host"), pk
    )

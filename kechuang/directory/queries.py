"""Public browsing of the resource directory: which record types exist, how their lists are filtered,
sorted, searched and paginated.

:func:`browse` is the one read path behind every list page. With a keyword it ranks through the search
engine (:func:`kechuang.search.indexing.search`, which folds traditional characters to simplified and
tokenises Chinese) and then loads the page's rows by primary key in rank order; without one it filters and
orders in the database. Either way only PUBLISHED records are returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import IndustryChain, Region, TechField
from kechuang.directory.models import (
    Achievement,
    Expert,
    InnovationPlatform,
    Instrument,
    Listing,
    Organization,
    ServiceItem,
)
from kechuang.matching.base import Hit
from kechuang.search.indexing import search

PAGE_SIZE = 20
SEARCH_DEPTH = 500  # most hits a keyword list pages through: 25 pages of 20
# Ranked by relevance, a page asks the engine only for its own hits and this many pages beyond: the engine's
# time grows with k (each hit carries its evidence), 100 hits cost a third of 500 at 100,000 records.
SEARCH_PAGES_AHEAD = 4
EXTRA_FILTERS = (
    "availability",
    "tier",
    "vouchers",
    "bookable",
)  # each offered only by some types (ListingType.extra)


@dataclass(frozen=True)
class Sort:
    label: Any
    ordering: tuple[str, ...]


@dataclass(frozen=True)
class ListingType:
    """How one record type is listed: its name (the search-index type and URL names
    ``directory:<name>_list`` / ``directory:<name>``), its URL segment and what it filters by.

    ``kind_field`` is the model field behind the generic ``kind`` filter (the engine's ``kind`` key holds
    the same value). ``extra`` names the type's additional filters among ``availability`` (engine and
    database), ``tier`` and ``vouchers`` (database only).
    """

    name: str
    path: str
    model: type[Listing]
    label: Any
    name_field: str
    kind_field: str
    kind_label: Any
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    sorts: dict[str, Sort] = field(default_factory=dict)

    @property
    def list_url_name(self) -> str:
        return f"directory:{self.name}_list"

    @property
    def kind_choices(self) -> list[tuple[str, str]]:
        return list(self.model._meta.get_field(self.kind_field).choices)

    def all_sorts(self) -> dict[str, Sort]:
        """The sorts offered without a keyword (relevance is added when there is one)."""
        return {
            "newest": Sort(_("最近更新"), ("-updated_at", "-pk")),
            "name": Sort(_("名称"), (self.name_field, "pk")),
            **self.sorts,
        }


TYPES: dict[str, ListingType] = {
    t.name: t
    for t in (
        ListingType(
            name="organization",
            path="organizations",
            model=Organization,
            label=_("机构"),
            name_field="name",
            kind_field="kind",
            kind_label=_("机构类型"),
            select_related=("region",),
            prefetch_related=("industry_chains",),
            extra=("tier",),
        ),
        ListingType(
            name="expert",
            path="experts",
            model=Expert,
            label=_("专家"),
            name_field="name",
            kind_field="talent",
            kind_label=_("人才类别"),
            select_related=("region", "affiliation"),
            prefetch_related=("fields",),
            extra=("availability",),
        ),
        ListingType(
            name="achievement",
            path="achievements",
            model=Achievement,
            label=_("科技成果"),
            name_field="title",
            kind_field="kind",
            kind_label=_("成果类型"),
            select_related=("region", "owner"),
        ),
        ListingType(
            name="instrument",
            path="instruments",
            model=Instrument,
            label=_("大型仪器"),
            name_field="name",
            kind_field="category",
            kind_label=_("仪器类别"),
            select_related=("region", "owner", "booking_rules"),
            extra=("vouchers", "bookable"),
            sorts={"rate": Sort(_("收费从低到高"), ("external_rate", "pk"))},
        ),
        ListingType(
            name="service",
            path="services",
            model=ServiceItem,
            label=_("服务项目"),
            name_field="title",
            kind_field="category",
            kind_label=_("服务类别"),
            select_related=("region", "provider"),
            extra=("vouchers",),
        ),
        ListingType(
            name="platform",
            path="platforms",
            model=InnovationPlatform,
            label=_("创新平台"),
            name_field="name",
            kind_field="kind",
            kind_label=_("平台类型"),
            select_related=("region", "host"),
        ),
    )
}


def region_choices() -> list[tuple[str, str]]:
    """Every region as (code, indented name), ordered so each region follows its parent."""
    rows = Region.objects.order_by("path").values_list("code", "name", "level")
    indent = {
        Region.Level.PROVINCE: "",
        Region.Level.CITY: "\u3000",
        Region.Level.DISTRICT: "\u3000\u3000",
    }
    return [(code, f"{indent.get(level, '')}{name}") for code, name, level in rows]


def field_choices() -> list[tuple[str, Any]]:
    """Technical fields grouped by category: the category itself (meaning all of it) then its
    disciplines (:meth:`TechField.grouped_choices`), values as the query string carries them."""
    groups = TechField.grouped_choices(whole_label=_("%(name)s（全部）"))
    return [(name, [(str(pk), label) for pk, label in options]) for name, options in groups]


class DirectoryFilterForm(forms.Form):
    """The list page's search and filter form. Invalid values are ignored, never an error page: a stale
    bookmark with a deleted region still lists something."""

    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    region = forms.ChoiceField(label=_("区域"), required=False)
    kind = forms.ChoiceField(label=_("类型"), required=False)
    chain = forms.ChoiceField(label=_("产业链"), required=False)
    field = forms.ChoiceField(label=_("技术领域"), required=False)
    availability = forms.ChoiceField(
        label=_("对接意愿"),
        required=False,
        choices=[("", _("不限")), *Expert.Availability.choices],
    )
    tier = forms.ChoiceField(
        label=_("培育梯次"),
        required=False,
        choices=[("", _("不限")), *[c for c in Organization.Tier.choices if c[0]]],
    )
    vouchers = forms.BooleanField(label=_("支持创新券"), required=False)
    bookable = forms.BooleanField(label=_("可在线预约"), required=False)
    org = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    sort = forms.ChoiceField(label=_("排序"), required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, listing: ListingType, data, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        anything = [("", _("不限"))]
        self.fields["region"].choices = anything + region_choices()
        self.fields["kind"].choices = anything + listing.kind_choices
        self.fields["kind"].label = listing.kind_label
        self.fields["chain"].choices = anything + list(
            IndustryChain.objects.order_by("name").values_list("slug", "name")
        )
        self.fields["field"].choices = anything + field_choices()
        # The empty choice is the default order: relevance with a keyword, newest without. A form that
        # leaves the sort alone thus ranks by relevance as soon as a keyword is typed, and the selector
        # names the order in use; "newest" is offered by name only when it is not the default.
        sorts = [(key, sort.label) for key, sort in listing.all_sorts().items()]
        if data.get("q", "").strip():
            sorts.insert(0, ("", _("相关度")))
        else:
            sorts = [("" if key == "newest" else key, label) for key, label in sorts]
        self.fields["sort"].choices = sorts
        for name in EXTRA_FILTERS:
            if name not in listing.extra:
                del self.fields[name]

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())

    @cached_property
    def criteria(self) -> dict[str, Any]:
        """The valid, non-empty values: what the page filters by."""
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "", False) and name not in self.errors
        }


@dataclass
class Results:
    """One page of a list: the records in order, the engine's evidence per record when searching, the
    total (``total_capped`` when the engine's answer was cut at the depth asked for)."""

    page: Page
    hits: dict[int, Hit]
    total: int
    total_capped: bool

    @property
    def rows(self) -> list[tuple[Listing, Hit | None]]:
        return [(obj, self.hits.get(obj.pk)) for obj in self.page.object_list]


ENGINE_FILTERS = ("region", "kind", "chain", "field", "availability", "org")


def _engine_filters(listing: ListingType, criteria: dict[str, Any]) -> dict[str, list[str]]:
    """The filters the search engine applies itself (see ``kechuang.directory.search``); a type's own
    extra filter (``availability``) only for the type that has it. Also used by the directory API."""
    keys = [k for k in ENGINE_FILTERS if k not in EXTRA_FILTERS or k in listing.extra]
    return {key: [str(criteria[key])] for key in keys if key in criteria}


def _field_ids(field_id: str) -> list[int]:
    """A technical field and its disciplines (a category filter matches records in any of them)."""
    ids = [int(field_id)]
    ids += TechField.objects.filter(parent_id=ids[0]).values_list("pk", flat=True)
    return ids


def _database_filters(criteria: dict[str, Any], qs: models.QuerySet) -> models.QuerySet:
    """Filters the engine does not know (and, without a keyword, all filters) applied in the database."""
    if "tier" in criteria:
        qs = qs.filter(tier=criteria["tier"])
    if criteria.get("vouchers"):
        qs = qs.filter(accepts_vouchers=True)
    if criteria.get("bookable"):  # instruments whose owners take bookings online (kechuang.booking)
        qs = qs.filter(booking_rules__enabled=True, state=Instrument.State.AVAILABLE)
    return qs


def filtered_queryset(listing: ListingType, criteria: dict[str, Any]) -> models.QuerySet:
    """Published records of this type matching ``criteria`` (everything but the keyword), unordered."""
    model = listing.model
    qs = model.objects.published()
    if "region" in criteria:
        path = _region_path(criteria)
        if path is None:  # the region was deleted after the form was checked
            return qs.none()
        qs = qs.filter(region__in=Region.objects.filter(path__startswith=path))
    if "kind" in criteria:
        qs = qs.filter(**{listing.kind_field: criteria["kind"]})
    if "chain" in criteria:
        qs = qs.filter(industry_chains__slug=criteria["chain"])  # slugs are unique: no duplicates
    if "field" in criteria:
        qs = qs.filter(
            pk__in=model.objects.filter(fields__in=_field_ids(criteria["field"])).values("pk")
        )
    if "availability" in criteria:
        qs = qs.filter(availability=criteria["availability"])
    if "org" in criteria:
        owner = "pk" if model.OWNER_FIELD == "pk" else f"{model.OWNER_FIELD}_id"
        qs = qs.filter(**{owner: criteria["org"]})
    return _database_filters(criteria, qs)


def _region_path(criteria: dict[str, Any]) -> str | None:
    """The materialised path of the chosen region, or None for a code deleted meanwhile."""
    return Region.objects.filter(code=criteria["region"]).values_list("path", flat=True).first()


def with_related(listing: ListingType, qs: models.QuerySet) -> models.QuerySet:
    """What a result row shows besides the record itself, fetched with it."""
    return qs.select_related(*listing.select_related).prefetch_related(*listing.prefetch_related)


def hit_pk(hit: Hit) -> int:
    """The primary key in an engine id such as ``"expert:42"``."""
    return int(hit.id.split(":", 1)[1])


def ranked_records(listing: ListingType, pks: list[int]) -> list[Listing]:
    """The published records with these keys, in this order (one query plus the row's prefetches);
    a record unpublished since it was indexed is left out."""
    # No ORDER BY: with the model's default ordering SQLite walks the status index instead of the keys.
    rows = listing.model.objects.published().filter(pk__in=pks).order_by()
    records = with_related(listing, rows).in_bulk()
    return [records[pk] for pk in pks if pk in records]


def browse(listing: ListingType, form: DirectoryFilterForm) -> Results:
    """One page of ``listing`` for the form's keyword, filters, sort and page number."""
    criteria = {k: v for k, v in form.criteria.items() if k not in {"sort", "page"}}
    query = criteria.pop("q", "")
    sorts = listing.all_sorts()
    # the empty sort is the default order (see DirectoryFilterForm); a "relevance" link (or "newest"
    # without a keyword) is no choice any more and falls back to it, which is what it meant
    sort = form.criteria.get("sort") or ("relevance" if query else "newest")
    page_number = form.criteria.get("page", 1)

    if not query:
        # Order and slice primary keys only, then load the page's rows by key: sorting thousands of narrow
        # (key, sort column) pairs is far cheaper than sorting whole rows when an index cannot give the
        # order. The exact COUNT(*) costs ~15 ms over 100,000 rows on SQLite and is never stale.
        ordered = filtered_queryset(listing, criteria).order_by(*sorts[sort].ordering)
        paginator = Paginator(ordered.values_list("pk", flat=True), PAGE_SIZE)
        page = paginator.get_page(page_number)
        page.object_list = ranked_records(listing, list(page.object_list))
        return Results(page=page, hits={}, total=paginator.count, total_capped=False)

    in_database = sort != "relevance" or bool({"tier", "vouchers", "bookable"} & criteria.keys())
    if in_database:
        depth = SEARCH_DEPTH  # another order or a filter over the hits needs all of them
    else:
        depth = min(SEARCH_DEPTH, (page_number + SEARCH_PAGES_AHEAD) * PAGE_SIZE)
    hits = search(query, types=[listing.name], filters=_engine_filters(listing, criteria), k=depth)
    by_pk = {hit_pk(hit): hit for hit in hits}
    ranked = list(by_pk)
    if ranked and in_database:
        # The engine ranks; the database applies what the engine cannot (tier, vouchers) and other sorts.
        qs = _database_filters(criteria, listing.model.objects.filter(pk__in=ranked))
        if sort == "relevance":
            kept = set(qs.values_list("pk", flat=True))
            ranked = [pk for pk in ranked if pk in kept]
        else:
            ranked = list(qs.order_by(*sorts[sort].ordering).values_list("pk", flat=True))
    paginator = Paginator(ranked, PAGE_SIZE)
    page = paginator.get_page(page_number)
    pks = list(page.object_list)
    page.object_list = ranked_records(listing, pks)
    return Results(
        page=page,
        hits={pk: by_pk[pk] for pk in pks},
        total=paginator.count,
        total_capped=len(hits) >= depth,
    )

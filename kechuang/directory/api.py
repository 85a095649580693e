"""Directory API (``/api/directory/``): published records, searchable and filterable, read-only.

For each record type (``organization``, ``expert``, ``achievement``, ``instrument``, ``service``,
``platform``) there is a list ``GET /api/directory/<type>/`` and a detail ``GET /api/directory/<type>/<id>``,
each with its own typed schema. Private fields (an expert's phone and e-mail, an organisation's contact
person, phone and e-mail) are in no schema. Only published records are ever returned.

The list takes ``q`` (a keyword, ranked by the search engine, with the evidence of each match), ``region``
(a region code: the region and everything below it), ``kind`` (the type's kind, talent or category
choice, one of the values the OpenAPI document lists for that type), ``chain`` (an industry-chain slug),
``field`` (a technical-field id, its disciplines included), ``page`` and ``page_size`` (at most 100). An
unknown region code, chain or field names nothing and gives an empty page; an unknown ``kind`` is a 422.

``GET /api/directory/mine/<type>/`` (session sign-in) lists the records of that type the user may edit —
their organisations' records, their own expert profile, their regions' records for an operator — in any
status, with the status and the operators' review note.
"""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.db import models
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.security import django_auth
from pydantic import create_model, field_validator

from kechuang.core.models import Region
from kechuang.core.params import RecordId
from kechuang.directory.queries import (
    SEARCH_DEPTH,
    TYPES,
    ListingType,
    _engine_filters,
    filtered_queryset,
    hit_pk,
    with_related,
)
from kechuang.search.indexing import search

router = Router(tags=["directory"])

MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000  # keeps the row offset a sane integer (100,000 pages of 100 rows = 10 M rows)


class RegionOut(Schema):
    code: str
    name: str


class OrganizationRef(Schema):
    id: int
    name: str


class ChainOut(Schema):
    slug: str
    name: str


class FieldOut(Schema):
    id: int
    name: str


class EvidenceOut(Schema):
    field: str
    terms: list[str]
    snippet: str  # HTML-escaped, with the matched terms in <mark>


class ListingOut(Schema):
    id: int
    region: RegionOut
    industry_chains: list[ChainOut]
    fields: list[FieldOut]
    updated_at: datetime


class OrganizationOut(ListingOut):
    name: str
    credit_code: str | None
    kind: str
    tier: str
    is_shared: bool
    founded_year: int | None
    employees: int | None
    address: str
    website: str
    description: str
    main_products: str


class ExpertOut(ListingOut):
    name: str
    title: str
    affiliation: OrganizationRef | None
    talent: str
    is_part_time_engineer: bool
    availability: str
    keywords: list[str]
    profile: str


class ExpertWorkOut(Schema):
    kind: str
    title: str
    abstract: str
    keywords: list[str]
    year: int | None
    reference: str


class ExpertDetailOut(ExpertOut):
    works: list[ExpertWorkOut]


class AchievementOut(ListingOut):
    title: str
    kind: str
    patent_number: str | None
    owner: OrganizationRef
    description: str
    keywords: list[str]
    maturity: str
    allows_transfer: bool
    allows_license: bool
    allows_joint_development: bool
    allows_equity: bool
    asking_price: Decimal | None  # yuan; null means negotiable (面议)


class InstrumentOut(ListingOut):
    name: str
    asset_code: str
    owner: OrganizationRef
    category: str
    model_number: str
    manufacturer: str
    original_value: Decimal | None
    location: str
    description: str
    unit: str
    internal_rate: Decimal
    external_rate: Decimal
    state: str
    accepts_vouchers: bool


class ServiceItemOut(ListingOut):
    title: str
    provider: OrganizationRef
    category: str
    description: str
    price: Decimal | None  # yuan; null means negotiable (面议)
    price_unit: str
    accepts_vouchers: bool


class InnovationPlatformOut(ListingOut):
    name: str
    kind: str
    level: str
    host: OrganizationRef
    established_year: int | None
    description: str


# type name → (item schema, detail schema, extra prefetches for the detail)
SCHEMAS: dict[str, tuple[type[Schema], type[Schema], tuple[str, ...]]] = {
    "organization": (OrganizationOut, OrganizationOut, ()),
    "expert": (ExpertOut, ExpertDetailOut, ("works",)),
    "achievement": (AchievementOut, AchievementOut, ()),
    "instrument": (InstrumentOut, InstrumentOut, ()),
    "service": (ServiceItemOut, ServiceItemOut, ()),
    "platform": (InnovationPlatformOut, InnovationPlatformOut, ()),
}


class Paging(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class ListFilters(Paging):
    q: str | None = None
    region: str | None = None
    kind: str | None = None
    chain: str | None = None
    field: RecordId | None = None

    @field_validator("q", "region", "chain")
    @classmethod
    def no_nul(cls, value: str | None) -> str | None:
        # PostgreSQL cannot compare text with NUL in it: refuse it as bad input rather than fail.
        if value is not None and "\x00" in value:
            raise ValueError("NUL character not allowed")
        return value


def _with_listing_relations(listing: ListingType, queryset: models.QuerySet) -> models.QuerySet:
    """What every schema reads besides the row: region, owner, chains and fields, fetched with it."""
    return with_related(listing, queryset).prefetch_related("industry_chains", "fields")


def _criteria(listing: ListingType, filters: ListFilters) -> dict[str, object] | None:
    """The list's criteria, or ``None`` when they name nothing (an unknown region code)."""
    if filters.region and not Region.objects.filter(code=filters.region).exists():
        return None
    criteria = {
        "region": filters.region,
        "kind": filters.kind,
        "chain": filters.chain,
        "field": filters.field,
    }
    return {key: value for key, value in criteria.items() if value not in (None, "")}


def _list(listing: ListingType, filters: ListFilters) -> dict:
    criteria = _criteria(listing, filters)
    start = (filters.page - 1) * filters.page_size
    end = start + filters.page_size
    if criteria is None:
        return {
            "count": 0,
            "count_capped": False,
            "page": filters.page,
            "page_size": filters.page_size,
            "results": [],
        }
    query = " ".join((filters.q or "").split())
    if not query:
        queryset = _with_listing_relations(
            listing, filtered_queryset(listing, criteria).order_by("-updated_at", "-pk")
        )
        return {
            "count": queryset.count(),
            "count_capped": False,
            "page": filters.page,
            "page_size": filters.page_size,
            "results": list(queryset[start:end]),
        }
    hits = search(
        query, types=[listing.name], filters=_engine_filters(listing, criteria), k=SEARCH_DEPTH
    )
    page_hits = {hit_pk(hit): hit for hit in hits[start:end]}
    records = _with_listing_relations(
        listing, listing.model.objects.published().filter(pk__in=page_hits)
    ).in_bulk()
    results = []
    for pk, hit in page_hits.items():
        if pk in records:  # a record unpublished since it was indexed is left out
            record = records[pk]
            record.score = hit.score
            record.evidence = hit.evidence
            results.append(record)
    return {
        "count": len(hits),
        "count_capped": len(hits) >= SEARCH_DEPTH,
        "page": filters.page,
        "page_size": filters.page_size,
        "results": results,
    }


def _add_endpoints(listing: ListingType) -> None:
    item_schema, detail_schema, detail_prefetch = SCHEMAS[listing.name]
    class_name = listing.model.__name__
    hit_schema = create_model(
        f"{class_name}Hit",
        __base__=item_schema,
        score=(float | None, None),
        evidence=(list[EvidenceOut], []),
    )
    page_schema = create_model(
        f"{class_name}Page",
        __base__=Schema,
        count=(int, ...),
        count_capped=(bool, ...),
        page=(int, ...),
        page_size=(int, ...),
        results=(list[hit_schema], ...),
    )

    # ``kind`` is one of this type's choices, listed in the OpenAPI document (anything else is a 422).
    kinds = tuple(value for value, _label in listing.kind_choices)
    filters_schema = create_model(
        f"{class_name}Filters", __base__=ListFilters, kind=(Literal[kinds] | None, None)
    )

    def list_records(request, filters: Query[filters_schema]):
        return _list(listing, filters)

    def get_record(request, id: int):
        queryset = _with_listing_relations(listing, listing.model.objects.published())
        return get_object_or_404(queryset.prefetch_related(*detail_prefetch), pk=id)

    router.add_api_operation(
        f"/{listing.name}/",
        ["GET"],
        list_records,
        response=page_schema,
        operation_id=f"list_{listing.name}",
        summary=f"List published {listing.name} records",
    )
    router.add_api_operation(
        f"/{listing.name}/{{id}}",
        ["GET"],
        get_record,
        response=detail_schema,
        operation_id=f"get_{listing.name}",
        summary=f"One published {listing.name} record",
    )

    mine_schema = create_model(
        f"My{class_name}",
        __base__=item_schema,
        status=(str, ...),
        review_note=(str, ...),
    )
    mine_page_schema = create_model(
        f"My{class_name}Page",
        __base__=Schema,
        count=(int, ...),
        page=(int, ...),
        page_size=(int, ...),
        results=(list[mine_schema], ...),
    )

    def list_mine(request, paging: Query[Paging]):
        queryset = _with_listing_relations(
            listing, listing.model.objects.editable_by(request.user).order_by("-updated_at", "-pk")
        )
        start = (paging.page - 1) * paging.page_size
        return {
            "count": queryset.count(),
            "page": paging.page,
            "page_size": paging.page_size,
            "results": list(queryset[start : start + paging.page_size]),
        }

    router.add_api_operation(
        f"/mine/{listing.name}/",
        ["GET"],
        list_mine,
        response=mine_page_schema,
        auth=django_auth,
        operation_id=f"list_my_{listing.name}",
        summary=f"The {listing.name} records the signed-in user may edit, in any status",
    )


for _listing in TYPES.values():
    _add_endpoints(_listing)

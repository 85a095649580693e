"""What the resource directory puts into the search index, and with what weights.

Every type indexes only published records. Filters follow the search contract: ``region`` (the record's
region and all its ancestors), ``kind``, ``chain`` (industry-chain slugs), ``field`` (tech-field ids and
their parents), ``org`` (the owning organisation) and, for experts, ``availability``. Hits are diversified
by owning organisation (``group``).

Matching in the other direction: :func:`demands_for_expert` (expert → demands) and
:func:`enterprises_for_achievement` (achievement → enterprises, through their products, chains and past
demands); demand → experts/achievements/… is :func:`kechuang.search.indexing.search` over those types.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Prefetch

from kechuang.directory.models import (
    Achievement,
    Expert,
    ExpertWork,
    InnovationPlatform,
    Instrument,
    Organization,
    ServiceItem,
)
from kechuang.matching.base import Document, Hit
from kechuang.search.indexing import register, search


def region_codes(region) -> list[str]:
    """A region's own code and every ancestor's, read from its materialised path."""
    return [code for code in region.path.split("/") if code]


def _listing_filters(record, kind: str, owner_id: int | None) -> dict[str, list[str]]:
    fields: set[str] = set()
    for tech_field in record.fields.all():
        fields.add(str(tech_field.pk))
        if tech_field.parent_id:
            fields.add(str(tech_field.parent_id))
    return {
        "region": region_codes(record.region),
        "kind": [kind] if kind else [],
        "chain": sorted(chain.slug for chain in record.industry_chains.all()),
        "field": sorted(fields),
        "org": [str(owner_id)] if owner_id else [],
    }


def _context(record) -> str:
    """Industry-chain and field names: weak but useful words for matching."""
    names = [c.name for c in record.industry_chains.all()] + [f.name for f in record.fields.all()]
    return " ".join(names)


def _keywords(values) -> str:
    return " ".join(str(v) for v in values or [])


def _document(
    record,
    type_name: str,
    fields: dict[str, str],
    weights: dict[str, float],
    kind: str,
    owner_id: int | None,
    extra_filters: dict[str, list[str]] | None = None,
) -> Document:
    filters = _listing_filters(record, kind, owner_id)
    filters.update(extra_filters or {})
    return Document(
        id=f"{type_name}:{record.pk}",
        type=type_name,
        fields={**fields, "context": _context(record)},
        weights={**weights, "context": 0.5},
        filters=filters,
        group=str(owner_id or ""),
        updated=record.updated_at.timestamp() if record.updated_at else 0.0,
    )


def _demand_model():
    """The demands app's Demand model when that app is installed (the directory does not need it)."""
    if not apps.is_installed("kechuang.demands"):
        return None
    return apps.get_model("demands", "Demand")


def organization_document(org: Organization) -> Document:
    """An organisation; an enterprise's public published demands are indexed with it, so that an
    achievement finds the enterprises likely to need it through what they asked for before. Restricted
    demands (仅运营方与受邀专家可见) never enter it: organisation search is read by anyone."""
    demands = getattr(org, "public_demands", None)
    if demands is None and _demand_model() is not None:
        demands = list(_demand_model().objects.public().filter(organization=org))
    return _document(
        org,
        "organization",
        {
            "name": org.name,
            "main_products": org.main_products,
            "description": org.description,
            "demands": "\n".join(d.title for d in demands or ()),
        },
        {"name": 3.0, "main_products": 2.0, "description": 1.0, "demands": 1.5},
        org.kind,
        org.pk,
    )


def expert_document(expert: Expert) -> Document:
    """An expert with their works: papers, patents and projects are separate fields, so the evidence says
    which of them matched."""
    works: dict[str, list[str]] = {kind: [] for kind in ExpertWork.Kind.values}
    for work in expert.works.all():
        # the title line apart from the abstract, so evidence can quote the title that answers
        heading = " ".join(p for p in (work.title, _keywords(work.keywords)) if p)
        works[work.kind].append("\n".join(p for p in (heading, work.abstract) if p))
    return _document(
        expert,
        "expert",
        {
            "name": expert.name,
            "keywords": _keywords(expert.keywords),
            "profile": expert.profile,
            "papers": "\n".join(works[ExpertWork.Kind.PAPER]),
            "patents": "\n".join(works[ExpertWork.Kind.PATENT]),
            "projects": "\n".join(works[ExpertWork.Kind.PROJECT]),
            "affiliation": expert.affiliation.name if expert.affiliation_id else "",
        },
        {
            "name": 1.0,
            "keywords": 3.0,
            "profile": 1.5,
            "papers": 1.0,
            "patents": 1.2,
            "projects": 1.2,
            "affiliation": 0.5,
        },
        expert.talent,
        expert.affiliation_id,
        {"availability": [expert.availability]},
    )


def achievement_document(achievement: Achievement) -> Document:
    return _document(
        achievement,
        "achievement",
        {
            "title": achievement.title,
            "keywords": _keywords(achievement.keywords),
            "description": achievement.description,
            "patent_number": achievement.patent_number or "",
        },
        {"title": 3.0, "keywords": 2.5, "description": 1.0, "patent_number": 1.0},
        achievement.kind,
        achievement.owner_id,
    )


def instrument_document(instrument: Instrument) -> Document:
    return _document(
        instrument,
        "instrument",
        {
            "name": instrument.name,
            "model_number": instrument.model_number,
            "manufacturer": instrument.manufacturer,
            "description": instrument.description,
        },
        {"name": 3.0, "model_number": 2.0, "manufacturer": 1.0, "description": 1.0},
        instrument.category,
        instrument.owner_id,
    )


def service_document(item: ServiceItem) -> Document:
    return _document(
        item,
        "service",
        {"title": item.title, "description": item.description},
        {"title": 3.0, "description": 1.0},
        item.category,
        item.provider_id,
    )


def platform_document(platform: InnovationPlatform) -> Document:
    return _document(
        platform,
        "platform",
        {"name": platform.name, "description": platform.description},
        {"name": 3.0, "description": 1.0},
        platform.kind,
        platform.host_id,
    )


def _published(model, *related):
    def queryset():
        return (
            model.objects.published()
            .select_related("region", *related)
            .prefetch_related("industry_chains", "fields")
        )

    return queryset


def _published_experts():
    return _published(Expert, "affiliation")().prefetch_related(
        Prefetch("works", queryset=ExpertWork.objects.order_by("-year", "pk"))
    )


def _published_organizations():
    queryset = _published(Organization)()
    demand = _demand_model()
    if demand is not None:
        queryset = queryset.prefetch_related(
            Prefetch("demands", queryset=demand.objects.public(), to_attr="public_demands")
        )
    return queryset


def expert_query(expert: Expert) -> str:
    """What an expert can solve, as query text: keywords, profile and the titles of their works."""
    titles = [w.title for w in expert.works.all()]
    return " ".join([_keywords(expert.keywords), expert.profile, *titles])


def achievement_query(achievement: Achievement) -> str:
    """What an achievement offers, as query text: title, keywords and description."""
    return " ".join([achievement.title, _keywords(achievement.keywords), achievement.description])


def demands_for_expert(expert: Expert, k: int = 10) -> list[Hit]:
    """Published demands this expert could solve (at most two per enterprise while others qualify)."""
    return search(expert_query(expert), types=["demand"], k=k, diversify=2)


def enterprises_for_achievement(achievement: Achievement, k: int = 10) -> list[Hit]:
    """Enterprises likely to need this achievement: matched on their products, description, past
    demands and industry chains; the achievement's own owner is left out."""
    hits = search(
        achievement_query(achievement),
        types=["organization"],
        filters={"kind": [Organization.Kind.ENTERPRISE]},
        k=k + 1,
        diversify=1,
    )
    return [hit for hit in hits if hit.id != f"organization:{achievement.owner_id}"][:k]


def register_indexes() -> None:
    """Register the directory's six record types with the search index."""
    demand = _demand_model()
    register(
        Organization,
        "organization",
        organization_document,
        _published_organizations,
        related={demand: lambda d: [d.organization_id]} if demand is not None else None,
    )
    register(
        Expert,
        "expert",
        expert_document,
        _published_experts,
        related={
            ExpertWork: lambda work: [work.expert_id],
            # The affiliation's name is indexed with the expert.
            Organization: lambda org: list(org.experts.values_list("pk", flat=True)),
        },
    )
    register(Achievement, "achievement", achievement_document, _published(Achievement))
    register(Instrument, "instrument", instrument_document, _published(Instrument))
    register(ServiceItem, "service", service_document, _published(ServiceItem))
    register(InnovationPlatform, "platform", platform_document, _published(InnovationPlatform))

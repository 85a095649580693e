"""How demands enter the search index (type ``demand``), so an expert's inbox can find them."""

from kechuang.demands.models import Demand
from kechuang.directory.search import region_codes
from kechuang.matching.base import Document


def demand_document(demand: Demand) -> Document:
    """The indexed form of a published demand: title weighted above description; filters by region,
    chain, field, organisation and visibility."""
    fields = [str(demand.field_id)] if demand.field_id else []
    if demand.field_id and demand.field.parent_id:
        fields.append(str(demand.field.parent_id))
    return Document(
        id=f"demand:{demand.pk}",
        type="demand",
        fields={
            "title": demand.title,
            "description": demand.description,
            "context": " ".join(
                str(x) for x in (demand.industry_chain, demand.field) if x is not None
            ),
        },
        weights={"title": 2.0, "description": 1.0, "context": 0.5},
        filters={
            "region": region_codes(demand.region),
            "chain": [demand.industry_chain.slug] if demand.industry_chain_id else [],
            "field": fields,
            "org": [str(demand.organization_id)],
            "visibility": [demand.visibility],
        },
        group=str(demand.organization_id),
        updated=demand.updated_at.timestamp() if demand.updated_at else 0.0,
    )


def indexed_demands():
    return Demand.objects.published().select_related("region", "industry_chain", "field")


def search_queries():
    """What the demands' pages search with: each published demand's text (its matches) and the query of
    each expert with a log-in (their inbox)."""
    from kechuang.demands.queries import expert_query
    from kechuang.directory.models import Expert

    for demand in Demand.objects.published().only("title", "description").iterator():
        yield demand.search_text
    for expert in Expert.objects.published().filter(user__isnull=False).iterator():
        yield expert_query(expert)


def register_indexes() -> None:
    from kechuang.search.indexing import register, register_queries

    register(Demand, "demand", demand_document, indexed_demands)
    register_queries(search_queries)

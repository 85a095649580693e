"""Background jobs of demands (Django Tasks)."""

from django_tasks import task

from kechuang.demands.models import Demand


@task()
def count_matches(demand_id: int) -> int:
    """Count the matches the platform finds for a newly published demand everywhere (up to 10 of each
    type) and store the number on the demand for the funnel's "matched" stage."""
    from kechuang.demands.queries import demand_matches

    demand = Demand.objects.select_related("region").filter(pk=demand_id).first()
    if demand is None:
        return 0
    count = sum(len(group.matches) for group in demand_matches(demand, "all", k=10))
    Demand.objects.filter(pk=demand_id).update(match_count=count)
    return count

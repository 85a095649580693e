"""How challenge tasks enter the search index (type ``challenge``), so experts and institutions find the
open tasks they could take. Only tasks on public lists are indexed."""

from kechuang.challenges.models import Challenge, ChallengeList, Indicator
from kechuang.directory.search import region_codes
from kechuang.matching.base import Document


def challenge_document(challenge: Challenge) -> Document:
    """Title weighted above the problem and the indicators; filters by region, field and issuer."""
    fields = set()
    for tech_field in challenge.fields.all():
        fields.add(str(tech_field.pk))
        if tech_field.parent_id:
            fields.add(str(tech_field.parent_id))
    return Document(
        id=f"challenge:{challenge.pk}",
        type="challenge",
        fields={
            "title": challenge.title,
            "problem": challenge.problem,
            "indicators": ";".join(str(i) for i in challenge.indicators.all()),
        },
        weights={"title": 2.0, "problem": 1.0, "indicators": 1.0},
        filters={
            "region": region_codes(challenge.region),
            "field": sorted(fields),
            "org": [str(challenge.proposer_id)] if challenge.proposer_id else [],
        },
        group=str(challenge.challenge_list_id),
        updated=challenge.created_at.timestamp() if challenge.created_at else 0.0,
    )


def indexed_challenges():
    return (
        Challenge.objects.in_list()
        .exclude(challenge_list__status=ChallengeList.Status.DRAFT)
        .select_related("region")
        .prefetch_related("fields", "indicators")
    )


def register_indexes() -> None:
    from kechuang.search.indexing import register

    register(
        Challenge,
        "challenge",
        challenge_document,
        indexed_challenges,
        related={
            ChallengeList: lambda challenge_list: list(
                challenge_list.challenges.values_list("pk", flat=True)
            ),
            Indicator: lambda indicator: [indicator.challenge_id],
        },
    )

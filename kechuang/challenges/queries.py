"""Reads for the challenge pages, API and exports: list overviews, score spreads, the list report, and
turning search hits into the records they name."""

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.challenges.models import (
    BOUNTY_PLEDGED,
    BOUNTY_RELEASED,
    Agreement,
    Application,
    Challenge,
    ChallengeList,
    Score,
)
from kechuang.core.money import to_yuan
from kechuang.core.params import id_param
from kechuang.directory.models import Expert, Organization
from kechuang.ledger.queries import total_balance

COUNTED = ~Q(applications__status__in=Application.UNCOUNTED)


def list_tasks(challenge_list: ChallengeList) -> QuerySet[Challenge]:
    """The list's tasks with their indicators and the number of applications submitted to each (and
    not withdrawn)."""
    return (
        challenge_list.challenges.in_list()
        .annotate(applicant_count=Count("applications", filter=COUNTED))
        .prefetch_related("indicators")
        .order_by("pk")
    )


def list_bounty(challenge_list: ChallengeList) -> Decimal:
    return to_yuan(challenge_list.challenges.in_list().aggregate(total=Sum("bounty"))["total"] or 0)


@dataclass
class Spread:
    """How one application's scores spread across a round's reviewers."""

    application: Application
    count: int
    mean: Decimal
    low: Decimal
    high: Decimal
    stdev: Decimal


def score_spreads(scores: QuerySet[Score]) -> list[Spread]:
    """Per application, best mean first. Pass scores already narrowed by ``Score.objects.visible_to``."""
    by_application: dict[int, list[Score]] = {}
    for score in scores.select_related("application__lead"):
        by_application.setdefault(score.application_id, []).append(score)
    spreads = []
    for group in by_application.values():
        totals = [s.total for s in group]
        spreads.append(
            Spread(
                application=group[0].application,
                count=len(totals),
                mean=(sum(totals) / len(totals)).quantize(Decimal("0.01")),
                low=min(totals),
                high=max(totals),
                stdev=Decimal(str(statistics.pstdev(totals))).quantize(Decimal("0.01")),
            )
        )
    return sorted(spreads, key=lambda s: (-s.mean, s.application.pk))


def list_report(challenge_list: ChallengeList, *, now=None) -> dict:
    """The list-level report: bounty on the list, bounty committed in agreements, paid, tasks solved,
    and the organisations in submitted (not withdrawn) applications by kind and by region — the latter
    only once the application window is over (``applicants_shown``), so that nobody learns who is
    taking a task while others may still apply."""
    applicants_shown = (now or timezone.now()) >= challenge_list.window_closes_at
    agreements = Agreement.objects.filter(challenge__challenge_list=challenge_list)
    ids = list(agreements.values_list("pk", flat=True))
    # Read from the ledger: what the signed task books pledged, and what was paid out of it.
    pledged = -total_balance("challenges.agreement", ids, BOUNTY_PLEDGED)
    paid = total_balance("challenges.agreement", ids, BOUNTY_RELEASED)
    organizations = Organization.objects.filter(
        challenge_memberships__application__challenge__challenge_list=challenge_list,
        challenge_memberships__application__in=Application.objects.counted(),
    ).select_related("region")
    kinds = Counter(str(o.get_kind_display()) for o in organizations)
    regions = Counter(o.region.name for o in organizations)
    return {
        "bounty_total": list_bounty(challenge_list),
        "bounty_committed": to_yuan(pledged),
        "paid": to_yuan(paid),
        "tasks": challenge_list.challenges.in_list().count(),
        "tasks_solved": challenge_list.challenges.solved().count(),
        "applicants_shown": applicants_shown,
        "applicants_by_kind": sorted(kinds.items()) if applicants_shown else [],
        "applicants_by_region": sorted(regions.items()) if applicants_shown else [],
    }


def records_for_hits(ids: list[str]) -> dict[str, object]:
    """``"expert:5"`` / ``"organization:7"`` → the published record, for showing search suggestions."""
    wanted: dict[str, list[int]] = {"expert": [], "organization": []}
    for hit_id in ids:
        kind, _, pk = hit_id.partition(":")
        if kind in wanted and pk.isdigit():
            wanted[kind].append(int(pk))
    found: dict[str, object] = {}
    for expert in Expert.objects.published().filter(pk__in=wanted["expert"]):
        found[f"expert:{expert.pk}"] = expert
    for organization in Organization.objects.published().filter(pk__in=wanted["organization"]):
        found[f"organization:{organization.pk}"] = organization
    return found


@dataclass
class OrganizationOptions:
    """What the organisation picker lists for form field ``field``: the chosen organisation first, then
    the search's other hits."""

    field: str
    chosen: list[Organization]
    found: list[Organization]
    query: str = ""


def picked_organizations(
    field_name: str, selected: str, query: str = "", exclude: Sequence[int] = (), k: int = 8
) -> OrganizationOptions:
    """The picker's options: the published organisation ``selected`` (its id as submitted), then up to
    ``k`` other published organisations whose name contains ``query`` or whose unified social credit
    code is ``query``, leaving out ``exclude`` (an application's members)."""
    chosen = list(
        Organization.objects.published().filter(pk=id_param(selected)).select_related("region")
        if id_param(selected)
        else []
    )
    query = query.strip()[:100]
    found = []
    if query:
        found = list(
            Organization.objects.published()
            .filter(Q(name__icontains=query) | Q(credit_code__iexact=query))
            .exclude(pk__in=[*exclude, *(o.pk for o in chosen)])
            .select_related("region")
            .order_by("name", "pk")[:k]
        )
    return OrganizationOptions(field_name, chosen, found, query)


def application_readable_by(user, application: Application) -> bool:
    """Whether ``user`` may read ``application``: the users of its organisations (lead and members) and
    the operators of its list's region."""
    from kechuang.accounts.permissions import member_organization_ids, operates

    member_ids = set(application.members.values_list("organization_id", flat=True))
    return bool(member_ids & member_organization_ids(user)) or operates(
        user, application.challenge.challenge_list.region
    )


def reviewer_labels(user, review_round) -> dict[int, str]:
    """The reviewer named beside each seat's scores, by seat id: the expert's name for the list's
    operators and the round's own reviewers; for anyone else (an applicant reading its own scores) only
    评审专家 1、2… in seat order, so a panel's names never reach the applicants — page, API and CSV alike."""
    from kechuang.accounts.permissions import operates

    seats = list(review_round.seats.select_related("expert").order_by("pk"))
    named = operates(user, review_round.challenge.challenge_list.region) or any(
        seat.expert.user_id == getattr(user, "pk", None) for seat in seats
    )
    return {
        seat.pk: seat.expert.name if named else _("评审专家 %(n)d") % {"n": index}
        for index, seat in enumerate(seats, start=1)
    }

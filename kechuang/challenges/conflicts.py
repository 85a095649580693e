"""Conflict-of-interest rules for drawing review panels.

A reviewer is excluded from a task's round when they belong to an applying organisation, or recently
worked with one: a paper or patent shared with one of its experts in the last three years, a patent the
organisation owns with the reviewer among the inventors, or an engagement (对接) with one of its demands
accepted in the last three years.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q

from kechuang.challenges.models import ConflictRecord
from kechuang.directory.models import Achievement, Expert, ExpertWork, Organization

RECENT_YEARS = 3


@dataclass(frozen=True)
class Conflict:
    organization: Organization
    reason: str
    detail: str


def _work_key(work: ExpertWork) -> str:
    """Co-authors record the same work: matched by its reference (DOI, patent number) or its title."""
    return (work.reference or work.title).strip().lower()


def _shared_works(expert: Expert, organization: Organization, since_year: int) -> list[ExpertWork]:
    recent = Q(year__gte=since_year) | Q(year__isnull=True)
    own = {
        _work_key(w): w
        for w in expert.works.filter(
            recent, kind__in=[ExpertWork.Kind.PAPER, ExpertWork.Kind.PATENT]
        )
    }
    if not own:
        return []
    colleagues = ExpertWork.objects.filter(
        recent,
        expert__affiliation=organization,
        kind__in=[ExpertWork.Kind.PAPER, ExpertWork.Kind.PATENT],
    ).exclude(expert=expert)
    return [own[_work_key(w)] for w in colleagues if _work_key(w) in own]


def recent_engagement_exists(expert: Expert, organization: Organization, since) -> bool:
    """Whether the expert had an accepted engagement with one of the organisation's demands since
    ``since``. Engagements live in the demands app; without it there is nothing to find."""
    if not apps.is_installed("kechuang.demands"):
        return False
    try:
        engagement = apps.get_model("demands", "Engagement")
    except LookupError:
        return False
    return engagement.objects.filter(
        expert=expert, demand__organization=organization, accepted_at__gte=since
    ).exists()


def find_conflicts(
    expert: Expert, organizations: Sequence[Organization], *, now: datetime.datetime
) -> list[Conflict]:
    """Every reason ``expert`` may not review applications of ``organizations`` (empty: no conflict)."""
    since = now - datetime.timedelta(days=365 * RECENT_YEARS)
    found = []
    for organization in organizations:
        if expert.affiliation_id == organization.pk:
            found.append(
                Conflict(organization, ConflictRecord.Reason.SAME_AFFILIATION, organization.name)
            )
        for work in _shared_works(expert, organization, since.year):
            reason = (
                ConflictRecord.Reason.SHARED_PAPER
                if work.kind == ExpertWork.Kind.PAPER
                else ConflictRecord.Reason.SHARED_PATENT
            )
            found.append(Conflict(organization, reason, work.title))
        for patent in Achievement.objects.filter(
            owner=organization, inventors=expert, kind__in=Achievement.PATENT_KINDS
        ):
            found.append(Conflict(organization, ConflictRecord.Reason.SHARED_PATENT, patent.title))
        if recent_engagement_exists(expert, organization, since):
            found.append(
                Conflict(organization, ConflictRecord.Reason.ENGAGEMENT, organization.name)
            )
    return found

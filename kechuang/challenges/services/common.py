"""What the challenge services share: the default rubric, who is told of what, and the checks beside the
list's actions (the manage page shows a button when its check passes)."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import operates, users_of
from kechuang.challenges.models import (
    Application,
    Challenge,
    ChallengeList,
    ConsortiumMember,
)
from kechuang.core.actions import (
    require,
)

HUNDRED = Decimal(100)

DEFAULT_RUBRIC = [
    ("技术路线先进性与可行性", Decimal(30)),
    ("团队实力与前期基础", Decimal(25)),
    ("指标承诺与实施计划", Decimal(25)),
    ("预算合理性与配套投入", Decimal(20)),
]


def _require_operator(user, region) -> None:
    if not operates(user, region):
        raise PermissionDenied(_("您不是该区域的运营人员"))


# --- who is told -----------------------------------------------------------------------------------


def _applicants(application: Application, *, lead: bool = True):
    """The users of the application's organisations (without the lead organisation's when ``lead`` is
    false)."""
    members = ConsortiumMember.objects.filter(application=application)
    if not lead:
        members = members.exclude(organization_id=application.lead_id)
    return users_of(*members.values_list("organization_id", flat=True))


def _department(challenge: Challenge):
    """The users of the task's proposing department (出题单位), if it has one."""
    return users_of(challenge.proposer_id)


def _manage_url(challenge_list: ChallengeList) -> str:
    return reverse("challenges:manage_list", args=[challenge_list.pk])


# --- checks beside the list's actions (the manage page shows a button when its check passes) ----------


def _check_list(actor, challenge_list: ChallengeList, status: str, refusal: str) -> None:
    _require_operator(actor, challenge_list.region)
    require(challenge_list.status == status, refusal)


def check_publish_list(actor, challenge_list: ChallengeList, **kwargs) -> None:
    """An operator of the list's region publishes a draft list."""
    _check_list(actor, challenge_list, ChallengeList.Status.DRAFT, _("只有草稿榜单可以发布"))


def check_close_list(actor, challenge_list: ChallengeList, **kwargs) -> None:
    """An operator closes a published list's call."""
    _check_list(actor, challenge_list, ChallengeList.Status.PUBLISHED, _("榜单不在征集中"))


def check_start_review(actor, challenge_list: ChallengeList, **kwargs) -> None:
    """An operator starts the review of a closed list."""
    _check_list(actor, challenge_list, ChallengeList.Status.CLOSED, _("榜单不在征集截止状态"))


def check_announce_list(actor, challenge_list: ChallengeList, **kwargs) -> None:
    """An operator announces the winners of a list under review."""
    _check_list(actor, challenge_list, ChallengeList.Status.REVIEWING, _("榜单不在评审中"))


def check_conclude_list(actor, challenge_list: ChallengeList, **kwargs) -> None:
    """An operator concludes an announced list."""
    _check_list(actor, challenge_list, ChallengeList.Status.ANNOUNCED, _("榜单不在公示阶段"))

"""Every state change of the challenge cycle (揭榜挂帅), one function each.

Each service follows the action kernel (:mod:`kechuang.core.actions`): actor first, checks permission and
input, runs in one transaction, re-reads the rows it changes under row locks taken in the kernel's one order
(:func:`kechuang.core.actions.lock`; on SQLite the IMMEDIATE transaction already serialises writers), writes
an audit row named by a :class:`kechuang.challenges.events.ChallengeEvent`, and raises :class:`Refused`
(nothing changed) or ``PermissionDenied``. Services that depend on the clock take ``now`` so that the page, the API and the
tests agree on what time it is.

The people an event concerns are told through :func:`kechuang.notifications.services.notify`, which
delivers after the transaction commits (never for a rolled-back change); event names start with
``challenges.``. Each inbox entry links to a page its recipient may open: applicants to their application
(the lead to the task book once signed), reviewers to their review page, operators to the list's
management page, the task's proposing department (出题单位) to the public task or list page.

Split by concept: :mod:`.lists`, :mod:`.applications`, :mod:`.review`, :mod:`.agreements`, with
:mod:`.common` beneath them. Import from here: ``from kechuang.challenges import services``.
"""

from django.core.exceptions import PermissionDenied

from kechuang.challenges.models import ChallengeList
from kechuang.challenges.services.agreements import (
    LEDGER_SCOPE,
    accept_final,
    add_tranche,
    conclude_list,
    extend_milestone,
    release_tranche,
    review_milestone,
    sign_agreement,
    submit_milestone,
)
from kechuang.challenges.services.applications import (
    TIER_RANK,
    WITHDRAWABLE,
    confirm_participation,
    eligibility_problems,
    formal_check,
    remove_member,
    save_application,
    save_member,
    start_application,
    start_review,
    submission_problems,
    submit_application,
    withdraw_application,
    withdrawal_refusal,
)
from kechuang.challenges.services.common import (
    DEFAULT_RUBRIC,
    HUNDRED,
    check_announce_list,
    check_close_list,
    check_conclude_list,
    check_publish_list,
    check_start_review,
)
from kechuang.challenges.services.lists import (
    accept_challenge,
    close_list,
    create_list,
    deadline_problem,
    propose_challenge,
    publish_list,
    reject_challenge,
)
from kechuang.challenges.services.review import (
    announce_list,
    declare_conflict,
    draw_panel,
    file_objection,
    missing_scores,
    panel_candidates,
    resolve_objection,
    select_application,
    start_final_round,
    submit_score,
    unseal_round,
)
from kechuang.core.actions import Refused

# What an operator may do to a list now, by the action names of its manage page.
LIST_ACTIONS = {
    "publish": publish_list,
    "close": close_list,
    "start_review": start_review,
    "announce": announce_list,
    "conclude": conclude_list,
}


def allowed_list_actions(actor, challenge_list: ChallengeList) -> list[str]:
    """The list actions ``actor`` may take now (each service's own check)."""
    return [
        name for name, service in LIST_ACTIONS.items() if service.allowed(actor, challenge_list)
    ]


__all__ = [
    "DEFAULT_RUBRIC",
    "HUNDRED",
    "LEDGER_SCOPE",
    "LIST_ACTIONS",
    "TIER_RANK",
    "WITHDRAWABLE",
    "PermissionDenied",
    "Refused",
    "accept_challenge",
    "accept_final",
    "add_tranche",
    "allowed_list_actions",
    "announce_list",
    "check_announce_list",
    "check_close_list",
    "check_conclude_list",
    "check_publish_list",
    "check_start_review",
    "close_list",
    "conclude_list",
    "confirm_participation",
    "create_list",
    "deadline_problem",
    "declare_conflict",
    "draw_panel",
    "eligibility_problems",
    "extend_milestone",
    "file_objection",
    "formal_check",
    "missing_scores",
    "panel_candidates",
    "propose_challenge",
    "publish_list",
    "reject_challenge",
    "release_tranche",
    "remove_member",
    "resolve_objection",
    "review_milestone",
    "save_application",
    "save_member",
    "select_application",
    "sign_agreement",
    "start_application",
    "start_final_round",
    "start_review",
    "submission_problems",
    "submit_application",
    "submit_milestone",
    "submit_score",
    "unseal_round",
    "withdraw_application",
    "withdrawal_refusal",
]

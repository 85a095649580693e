"""``{% resource_action record "expert" %}``: the action a resource page offers its reader — 发起对接 with
an expert, 对接/咨询 an achievement's, an instrument's or a service's owner — shown only to who may take it.

The action starts an engagement from one of the reader's published demands through the existing
``demands:request`` view and :func:`kechuang.demands.services.request_engagement` (which checks again and
writes the audit row); a reader with no published demand is led to post one, an anonymous reader to log
in. Two queries at most (the demands and their open engagements with this record).
"""

from django import template
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.permissions import roles_of
from kechuang.demands.models import Demand, Engagement
from kechuang.directory.models import Status

register = template.Library()

DEMAND_CHOICES = 5  # the latest published demands offered; the rest are on the demand list

# match type → (heading, button)
VERBS = {
    "expert": (_("与该专家对接"), _("发起对接")),
    "achievement": (_("对接该成果"), _("对接/咨询")),
    "instrument": (_("咨询该仪器"), _("咨询")),
    "service": (_("咨询该服务"), _("咨询")),
    "organization": (_("与该机构对接"), _("发起对接")),
}


def _owner_id(record, match_type: str) -> int | None:
    """The organisation behind the record (the record itself for an organisation; none for an expert)."""
    if match_type == "organization":
        return record.pk
    if match_type == "expert":
        return None
    return record.owner_id


@register.inclusion_tag("demands/_resource_action.html", takes_context=True)
def resource_action(context, record, match_type: str, heading: str = "") -> dict:
    request = context["request"]
    user = request.user
    default_heading, button = VERBS[match_type]
    result = {
        "heading": heading or default_heading,
        "button": button,
        "match_type": match_type,
        "record": record,
        "request": request,
        "state": "",
    }
    if record.status != Status.PUBLISHED:
        return result  # a draft shown to its owner: nothing to engage with yet
    if not user.is_authenticated:
        return {**result, "state": "login"}
    roles = roles_of(user)
    owner_id = _owner_id(record, match_type)
    own = (
        record.user_id == user.pk if match_type == "expert" else owner_id in roles.organization_ids
    )
    if own:
        return {**result, "state": "own"}
    if not roles.memberships:
        return {**result, "state": "operator" if roles.operator else "no_member"}
    demands = list(
        Demand.objects.published()
        .filter(organization_id__in=roles.organization_ids)
        .exclude(organization_id=owner_id)
        .select_related("organization")
        .order_by("-published_at", "-pk")[:DEMAND_CHOICES]
    )
    if not demands:
        return {**result, "state": "post_first"}
    engaged = dict(
        Engagement.objects.open()
        .filter(match_type=match_type, match_id=record.pk, demand__in=demands)
        .values_list("demand_id", "pk")
    )
    for demand in demands:
        demand.open_engagement_id = engaged.get(demand.pk)
    several = len(roles.memberships) > 1
    return {**result, "state": "choose", "demands": demands, "several_organizations": several}

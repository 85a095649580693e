"""The contact-disclosure rule, in one place.

Before a request is accepted the two sides talk only through the platform; once it is accepted each side
may read the other's phone and e-mail. An expert without a login, answering through an e-mailed link, is
held to the same rule. Every page, API endpoint and export that shows a contact calls
:func:`contact_for` and shows nothing when it returns ``None``.
"""

from dataclasses import dataclass
from typing import Literal

from kechuang.demands.models import AnswerLink, Engagement

Side = Literal["enterprise", "supplier"]


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    email: str


def may_see_contact(viewer, engagement: Engagement, side: Side) -> bool:
    """Whether ``viewer`` may read ``side``'s contact details in ``engagement``: always their own side's,
    the region's operators always, the other side only once the request has been accepted. ``viewer`` is
    a user, or the :class:`AnswerLink` by which an expert without a login answers for the supplier side."""
    if isinstance(viewer, AnswerLink):
        sides = {"supplier"} if viewer.engagement_id == engagement.pk else set()
        operator = False
    elif getattr(viewer, "is_authenticated", False):
        sides = {
            name
            for name, is_side in (
                ("enterprise", engagement.is_enterprise),
                ("supplier", engagement.is_supplier),
            )
            if is_side(viewer)
        }
        operator = engagement.is_operator(viewer)
    else:
        return False
    if side in sides or operator:
        return True
    return bool(sides) and engagement.contacts_disclosed


def contact_for(viewer, engagement: Engagement, side: Side) -> Contact | None:
    """``side``'s contact details as ``viewer`` may see them, or ``None``."""
    if not may_see_contact(viewer, engagement, side):
        return None
    if side == "enterprise":
        demand = engagement.demand
        org = demand.organization
        return Contact(
            name=demand.contact_name or org.contact_name,
            phone=demand.contact_phone or org.contact_phone,
            email=demand.contact_email or org.contact_email,
        )
    if engagement.expert_id:
        expert = engagement.expert
        return Contact(name=expert.name, phone=expert.phone, email=expert.email)
    provider = engagement.provider
    return Contact(
        name=provider.contact_name or provider.name,
        phone=provider.contact_phone,
        email=provider.contact_email,
    )

"""Related-party screening (关联方筛查) of a redemption: programmes forbid spending vouchers at a related
party, and auditors hunt for round-tripping (套取). Each rule below compares what the platform holds about
the enterprise (its directory record, its voucher application, its members) with what it holds about the
provider (its directory record, its onboarding, its members), and returns the evidence when they meet.

=====================  ==========================================================================
rule                   fires when
=====================  ==========================================================================
``credit_code``        the two share a unified social credit code, or its 9-character organisation
                       code (positions 9–17: a branch and its head office)
``legal_rep``          the enterprise's legal representative (its latest voucher application) is the
                       provider's (its onboarding), compared without spaces
``address``            the registered addresses are the same once spaces and punctuation are removed
``phone``              a contact phone number (digits only, at least 7) is shared
``platform_user``      one platform user acts for both organisations
``pair_frequency``     the enterprise used vouchers at this provider more times in the hold's year
                       than the programme's norm (``pair_norm``, default 6)
=====================  ==========================================================================

A flagged redemption is approved only with an operator's written override, kept on the redemption and in
the audit log.
"""

import re

from django.utils.translation import gettext as _

from kechuang.directory.models import Organization
from kechuang.vouchers.models import ProviderEnrolment, VoucherApplication, VoucherHold

PUNCTUATION = re.compile(r"[\s,，.。;；:：()（）\-—#号]+")


def _plain(text: str) -> str:
    return PUNCTUATION.sub("", text or "")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def screen(hold: VoucherHold) -> list[dict]:
    """The related-party flags of a redemption of ``hold`` (empty when none fires)."""
    enterprise: Organization = hold.payer
    provider: Organization = hold.provider
    enrolment = ProviderEnrolment.objects.filter(organization=provider).first()
    application = (
        VoucherApplication.objects.filter(organization=enterprise).order_by("-submitted_at").first()
    )
    flags = []

    def flag(rule: str, label: str, evidence: str) -> None:
        flags.append({"rule": rule, "label": label, "evidence": evidence})

    a, b = enterprise.credit_code or "", provider.credit_code or ""
    if a and b and (a == b or a[8:17] == b[8:17]):
        flag("credit_code", _("统一社会信用代码相同"), f"{a} / {b}")
    if application and enrolment:
        rep_a, rep_b = (
            _plain(application.legal_representative),
            _plain(enrolment.legal_representative),
        )
        if rep_a and rep_a == rep_b:
            flag("legal_rep", _("法定代表人相同"), enrolment.legal_representative)
    if _plain(enterprise.address) and _plain(enterprise.address) == _plain(provider.address):
        flag("address", _("注册地址相同"), enterprise.address)
    phones_a = {_digits(enterprise.contact_phone)}
    phones_b = {_digits(provider.contact_phone), _digits(enrolment.phone if enrolment else "")}
    shared = {p for p in phones_a & phones_b if len(p) >= 7}
    if shared:
        flag("phone", _("联系电话相同"), "、".join(sorted(shared)))
    users = set(enterprise.memberships.values_list("user__username", flat=True)) & set(
        provider.memberships.values_list("user__username", flat=True)
    )
    if users:
        flag("platform_user", _("同一平台用户同时代表双方"), "、".join(sorted(users)))
    norm = hold.voucher.programme.pair_norm
    year = hold.created_at.year
    uses = (
        VoucherHold.objects.filter(payer=enterprise, provider=provider, created_at__year=year)
        .exclude(status=VoucherHold.Status.RELEASED)
        .count()
    )
    if uses > norm:
        flag(
            "pair_frequency",
            _("交易频次异常"),
            _("%(year)d 年在该机构使用创新券 %(uses)d 次，方案常值为 %(norm)d 次")
            % {"year": year, "uses": uses, "norm": norm},
        )
    return flags

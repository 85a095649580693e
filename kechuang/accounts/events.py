"""The typed names of permission grants: memberships of organisations and operator mandates over regions."""

from kechuang.core.actions import EventName


class AccountEvent(EventName):
    """Every event of the accounts app: who was given or lost the right to act for an organisation or to
    operate a region, and who created or revoked an API token."""

    MEMBERSHIP_GRANT = "accounts.membership.grant"
    MEMBERSHIP_CHANGE = "accounts.membership.change"
    MEMBERSHIP_REVOKE = "accounts.membership.revoke"
    MANDATE_GRANT = "accounts.mandate.grant"
    MANDATE_CHANGE = "accounts.mandate.change"
    MANDATE_REVOKE = "accounts.mandate.revoke"
    TOKEN_CREATE = "accounts.token.create"
    TOKEN_REVOKE = "accounts.token.revoke"

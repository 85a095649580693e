"""The typed names of personal-information requests (PIPL): a person's export of their data and the
deletion of their account, and the clock's purge of old notification bodies."""

from kechuang.core.actions import EventName


class PrivacyEvent(EventName):
    DATA_EXPORT = "privacy.data.export"
    ACCOUNT_DELETE = "privacy.account.delete"
    NOTIFICATIONS_PURGE = "privacy.notification.purge"

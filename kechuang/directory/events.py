"""The typed names of what happens to directory records."""

from kechuang.core.actions import EventName


class DirectoryEvent(EventName):
    """Every event of the directory app: the audit rows of its actions and the notifications they send."""

    RECORD_APPROVE = "directory.record.approve"
    RECORD_ARCHIVE = "directory.record.archive"
    RECORD_CREATE = "directory.record.create"
    RECORD_EDIT = "directory.record.edit"
    RECORD_EDIT_FOR_REVIEW = "directory.record.edit_for_review"
    RECORD_IMPORT = "directory.record.import"
    RECORD_RETURN = "directory.record.return"
    RECORD_SUBMIT = "directory.record.submit"

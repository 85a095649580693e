"""The core's typed event names (see :class:`kechuang.core.actions.EventName`)."""

from kechuang.core.actions import EventName


class CoreEvent(EventName):
    TASK_REQUEUE = "core.task.requeue"  # a dead worker's task put back in its queue
    TASK_FAIL = "core.task.fail"  # a task whose workers died too often, failed
    BACKUP_RESTORE = "core.backup.restore"  # the database and uploads replaced from a backup

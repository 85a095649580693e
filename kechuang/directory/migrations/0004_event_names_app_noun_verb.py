"""Rename the stored directory's event names to the one shape ``app.noun.verb`` of the typed events
(``kechuang/directory/events.py``), so history written before the rename reads like history written after."""

from django.db import migrations

RENAMED = {
    "directory.approve": "directory.record.approve",
    "directory.archive": "directory.record.archive",
    "directory.create": "directory.record.create",
    "directory.edit": "directory.record.edit",
    "directory.import": "directory.record.import",
    "directory.return": "directory.record.return",
    "directory.submit": "directory.record.submit",
}


def _rename(apps, renames):
    AuditEntry = apps.get_model("core", "AuditEntry")
    Notification = apps.get_model("notifications", "Notification")
    for old, new in renames.items():
        AuditEntry.objects.filter(action=old).update(action=new)
        Notification.objects.filter(event=old).update(event=new)


def forwards(apps, schema_editor):
    _rename(apps, RENAMED)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0003_full_width_labels"),
        ("core", "0006_full_width_labels"),
        ("notifications", "0003_stored_then_delivered"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

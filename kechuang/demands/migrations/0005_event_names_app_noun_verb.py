"""Rename the stored demands' event names to the one shape ``app.noun.verb`` of the typed events
(``kechuang/demands/events.py``), so history written before the rename reads like history written after."""

from django.db import migrations

RENAMED = {
    "demand.approve": "demands.demand.approve",
    "demand.attach": "demands.demand.attach",
    "demand.close": "demands.demand.close",
    "demand.collect": "demands.demand.collect",
    "demand.create": "demands.demand.create",
    "demand.pending": "demands.demand.pending",
    "demand.published": "demands.demand.published",
    "demand.return": "demands.demand.return",
    "demand.returned": "demands.demand.returned",
    "demand.submit": "demands.demand.submit",
    "demand.update": "demands.demand.update",
    "engagement.accept": "demands.engagement.accept",
    "engagement.accepted": "demands.engagement.accepted",
    "engagement.agree": "demands.engagement.agree",
    "engagement.agreed": "demands.engagement.agreed",
    "engagement.close": "demands.engagement.close",
    "engagement.closed": "demands.engagement.closed",
    "engagement.decline": "demands.engagement.decline",
    "engagement.declined": "demands.engagement.declined",
    "engagement.expire": "demands.engagement.expire",
    "engagement.expired": "demands.engagement.expired",
    "engagement.link": "demands.engagement.link",
    "engagement.meeting": "demands.engagement.meeting",
    "engagement.message": "demands.engagement.message",
    "engagement.met": "demands.engagement.met",
    "engagement.push": "demands.engagement.push",
    "engagement.pushed": "demands.engagement.pushed",
    "engagement.request": "demands.engagement.request",
    "engagement.requested": "demands.engagement.requested",
    "engagement.schedule": "demands.engagement.schedule",
    "engagement.unreachable": "demands.engagement.unreachable",
    "expert.claim": "demands.expert.claim",
    "pool.create": "demands.pool.create",
    "pool.enrol": "demands.pool.enrol",
    "pool.remove": "demands.pool.remove",
    "team.create": "demands.team.create",
    "visit.cancel": "demands.visit.cancel",
    "visit.plan": "demands.visit.plan",
    "visit.planned": "demands.visit.planned",
    "visit.record": "demands.visit.record",
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
        ("demands", "0004_full_width_labels"),
        ("core", "0006_full_width_labels"),
        ("notifications", "0003_stored_then_delivered"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

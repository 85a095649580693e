"""Give the audit rows written before rows carried a region the region of their record, so that a
region's operators read their region's past trail too (rows of a record since deleted keep none)."""

from collections import defaultdict

from django.db import migrations

from kechuang.core.audit import region_path

BATCH = 1000


def backfill(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    labels = AuditEntry.objects.filter(region__isnull=True).values_list("target_type", flat=True)
    for label in sorted(set(labels)):
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        path = region_path(label, model)
        if path is None:
            continue
        ids = list(
            AuditEntry.objects.filter(target_type=label, region__isnull=True)
            .values_list("target_id", flat=True)
            .distinct()
        )
        for start in range(0, len(ids), BATCH):
            chunk = [int(i) for i in ids[start : start + BATCH] if i.isdigit()]
            by_region = defaultdict(list)
            for pk, region_id in model._base_manager.filter(pk__in=chunk).values_list(
                "pk", f"{path}__pk"
            ):
                if region_id is not None:
                    by_region[region_id].append(str(pk))
            for region_id, targets in by_region.items():
                AuditEntry.objects.filter(
                    target_type=label, target_id__in=targets, region__isnull=True
                ).update(region_id=region_id)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_audit_entry_region"),
        ("accounts", "0004_full_width_labels"),
        ("directory", "0005_expert_email_verified"),
        ("demands", "0005_event_names_app_noun_verb"),
        ("challenges", "0004_agreement_history_protected"),
        ("indicators", "0001_indicators_targets_values_projects_ladder"),
        ("contracts", "0001_tech_contracts"),
        ("auctions", "0001_patent_auctions"),
        ("booking", "0002_no_overlapping_bookings"),
        ("vouchers", "0003_idempotent_api_requests"),
        ("search", "0001_move_from_core"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]

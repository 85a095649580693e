"""Provider payable/settled and the inter-region owes/due accounts keep no cached balance from now on:
their balance is the sum of their lines (what the cache held, by the ledger's invariant)."""

from django.db import migrations
from django.db.models import Q


def derive(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    Account.objects.filter(
        Q(owner_type="directory.organization", purpose__in=["payable", "settled"])
        | Q(owner_type="core.region", purpose__startswith="owes.")
        | Q(owner_type="core.region", purpose__startswith="due.")
    ).update(derived=True, balance=None)


def cache(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    Line = apps.get_model("ledger", "Line")
    for account in Account.objects.filter(derived=True):
        total = sum(Line.objects.filter(account=account).values_list("amount", flat=True), 0)
        Account.objects.filter(pk=account.pk).update(derived=False, balance=total)


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0003_idempotent_api_requests"),
        ("ledger", "0002_derived_accounts"),
    ]

    operations = [migrations.RunPython(derive, cache)]

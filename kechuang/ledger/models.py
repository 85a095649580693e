"""Double-entry ledger rows: accounts with a cached balance, and append-only entries of balanced lines.

An :class:`Entry` records one money movement and its cause (who, which typed event, on which record, why,
under which idempotency key); its :class:`Line` rows carry signed amounts that sum to zero. An
:class:`Account` caches the sum of its lines in ``balance``; only :func:`kechuang.ledger.services.post`
changes it, by conditional UPDATE, and accounts that may not go negative carry a check constraint that the
database enforces whatever the code does. Entries and lines are never updated or deleted: a correction is
a new entry.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kechuang.core.money import MoneyField


class AppendOnly(Exception):
    """Raised on an attempt to change or delete a posted ledger row."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise AppendOnly(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """A row that can be inserted once and never changed or deleted, through the model or its queryset."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(f"{type(self).__name__} rows are append-only")


def label_of(obj: models.Model) -> tuple[str, str]:
    """``(app_label.model, pk)`` of a record: how accounts name their owner and entries their target."""
    return obj._meta.label_lower, str(obj.pk)


class AccountQuerySet(models.QuerySet):
    def of(self, owner: models.Model):
        owner_type, owner_id = label_of(owner)
        return self.filter(owner_type=owner_type, owner_id=owner_id)


class Account(models.Model):
    """A balance kept for one purpose of one owner (e.g. a task book's committed bounty).

    ``balance`` is a cache of the sum of the account's lines; :func:`kechuang.ledger.services.post` alone
    changes it. Unless ``may_go_negative`` (a source such as a funder's pledge, which is negative by
    design), the database refuses a negative balance. A ``derived`` account keeps no cache (``balance`` is
    NULL) and its balance is the sum of its lines; the posting service keeps a protected one from going
    below zero.
    """

    owner_type = models.CharField(_("所属对象类型"), max_length=60)
    owner_id = models.CharField(_("所属对象编号"), max_length=40)
    purpose = models.CharField(_("用途"), max_length=60)
    may_go_negative = models.BooleanField(_("允许负余额"), default=False)
    derived = models.BooleanField(_("余额由分录汇总"), default=False)
    balance = MoneyField(_("余额（元）"), default=0, null=True, blank=True)
    created_at = models.DateTimeField(_("开立时间"), auto_now_add=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "purpose"], name="ledger_account_one_per_purpose"
            ),
            models.CheckConstraint(
                condition=Q(may_go_negative=True) | Q(balance__gte=0) | Q(derived=True),
                name="ledger_account_protected_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(derived=True, balance__isnull=True)
                | Q(derived=False, balance__isnull=False),
                name="ledger_account_derived_has_no_cached_balance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_type}#{self.owner_id} · {self.purpose}"


class Entry(AppendOnlyModel):
    """One posted money movement and its cause. ``(scope, idempotency_key)`` is unique when a key is
    given (not blank): the same request posted twice is stored once."""

    posted_at = models.DateTimeField(_("记账时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    event = models.CharField(_("事件"), max_length=60, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=60)
    target_id = models.CharField(_("对象编号"), max_length=40)
    memo = models.CharField(_("摘要"), max_length=300, blank=True)
    scope = models.CharField(_("幂等范围"), max_length=60, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["pk"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="ledger_entry_idempotency_key_once",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event} {self.target_type}#{self.target_id}"


class Line(AppendOnlyModel):
    """One signed amount of an entry on one account (positive adds to the balance)."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    amount = MoneyField(_("金额（元）"))

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_line_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"

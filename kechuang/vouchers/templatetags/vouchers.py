"""``{% voucher_acceptance record %}`` on a service item's or instrument's page: “可使用创新券” when the
record takes vouchers and its owner is an active voucher provider, with the order link for enterprises."""

from django import template

from kechuang.accounts.permissions import roles_of
from kechuang.directory.models import ServiceItem
from kechuang.vouchers.payments import is_active_provider

register = template.Library()


@register.inclusion_tag("vouchers/_acceptance.html", takes_context=True)
def voucher_acceptance(context, record):
    owner = record.provider if isinstance(record, ServiceItem) else record.owner
    usable = record.accepts_vouchers and is_active_provider(owner)
    request = context.get("request")
    orderable = (
        usable
        and isinstance(record, ServiceItem)
        and request is not None
        and bool(roles_of(request.user).enterprises)
    )
    return {"usable": usable, "orderable": orderable, "record": record}

"""``{% booking_box record %}``: on an instrument's page, its booking state and the way to book it."""

from django import template

from kechuang.booking.models import BookingRules
from kechuang.booking.services import may_manage
from kechuang.directory.models import Instrument

register = template.Library()


@register.inclusion_tag("booking/_booking_box.html", takes_context=True)
def booking_box(context, instrument: Instrument) -> dict:
    rules = BookingRules.objects.filter(instrument=instrument).first()
    user = context["request"].user
    return {
        "instrument": instrument,
        "rules": rules,
        "bookable": rules is not None
        and rules.enabled
        and instrument.state == Instrument.State.AVAILABLE,
        "manager": may_manage(user, instrument),
    }

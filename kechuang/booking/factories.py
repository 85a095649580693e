import factory

from kechuang.booking.models import BookingRules, Closure
from kechuang.directory.factories import InstrumentFactory


class BookingRulesFactory(factory.django.DjangoModelFactory):
    """Instant, self-service rules at 200 / 400 / 300 yuan per hour, open 08:00–20:00."""

    class Meta:
        model = BookingRules

    instrument = factory.SubFactory(InstrumentFactory)
    needs_approval = False
    internal_rate = 200
    external_rate = 400
    partner_rate = 300
    late_cancel_fee = 100
    no_show_fee = 150


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    instrument = factory.SubFactory(InstrumentFactory)
    reason = "年度维护保养"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "kechuang.booking"
    label = "booking"
    verbose_name = _("仪器共享预约")

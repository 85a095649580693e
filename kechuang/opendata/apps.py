from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenDataConfig(AppConfig):
    name = "kechuang.opendata"
    label = "opendata"
    verbose_name = _("开放数据")

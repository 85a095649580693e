from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "kechuang.indicators"
    label = "indicators"
    verbose_name = _("试点考核指标")

    def ready(self) -> None:
        # The sources over records that exist today; other apps register theirs from their own ready().
        from kechuang.indicators.sources import register_builtin_sources

        register_builtin_sources()

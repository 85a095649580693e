from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo region and the benchmarks: the ``demo`` command (prepare and serve the demo), the
    ``bench_*`` commands (``kechuang bench NAME``) and the data they load. No app depends on it."""

    name = "kechuang.demo"
    label = "demo"
    verbose_name = _("演示与基准")

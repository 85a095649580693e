from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kechuang.core"
    label = "core"
    verbose_name = _("基础数据")

    def ready(self) -> None:
        # The directory's record types join the search index (other apps register in their own ready()).
        from kechuang.directory.search import register_directory

        register_directory()

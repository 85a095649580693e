from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """The Django side of search: the index registry and its sync tasks, the vocabulary editor and the
    search index page. It imports no feature app: each app says what of its models is indexed, and with
    what weights, in its own ``search.py`` (NetBox's per-app ``search.py``), and :meth:`ready` finds them."""

    name = "kechuang.search"
    label = "search"
    verbose_name = _("检索")

    def ready(self) -> None:
        autodiscover_indexes()


def autodiscover_indexes() -> list[str]:
    """Import every installed app's ``search`` module and call its ``register_indexes()``; returns the
    modules found, in ``INSTALLED_APPS`` order (so a later app may extend an earlier one's types)."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.search"
        if config.name == __package__ or find_spec(name) is None:
            continue
        register_indexes = getattr(import_module(name), "register_indexes", None)
        if register_indexes is not None:
            register_indexes()
            found.append(name)
    return found

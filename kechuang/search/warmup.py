"""Loading, when a serving process starts, what its first requests would otherwise load one by one: every
app's views and the API (the URL map and its reverse lookup), the compiled templates, the search index
with its analyzer and dictionary, and the encoder with a first query. :mod:`kechuang.wsgi` runs :func:`warm_up` in a background thread, so the
server answers at once and a request arriving meanwhile waits only for what it needs."""

import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.template import TemplateSyntaxError, engines
from django.urls import URLResolver, get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)

# A query that reaches the analyzer, the lexical index and, where vectors exist, the encoder.
WARM_UP_QUERY = "新材料 智能制造 技术需求"


def warm_up() -> float:
    """Load the URL map, the search backend and the encoder; returns the seconds it took. Never raises:
    a process that cannot warm up serves anyway (and its first request shows the error)."""
    from kechuang.search import indexing

    started = time.monotonic()
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _build_reverse_lookups(
                get_resolver()
            )  # imports every app's urls, views and API schemas
        _load_templates()
        # Filtered by type, as the pages search: that path loads more of numpy (numpy.ma) as well.
        indexing.search(WARM_UP_QUERY, types=list(indexing.registrations())[:1], k=1)
    except Exception:
        logger.exception("warm-up failed")
    finally:
        connection.close()  # this thread's connection
    return time.monotonic() - started


def _build_reverse_lookups(resolver: URLResolver) -> None:
    """Build the reverse lookup ({% url %}) of the resolver and every namespace under it."""
    resolver.reverse_dict  # noqa: B018 built (and cached per language) on first access
    for _prefix, namespace in resolver.namespace_dict.values():
        _build_reverse_lookups(namespace)


def _load_templates() -> None:
    """Compile every template of the project and its apps into the cached loader."""
    for engine in engines.all():
        for folder in engine.template_dirs:
            for path in Path(folder).rglob("*.html"):
                try:
                    engine.get_template(path.relative_to(folder).as_posix())
                except TemplateSyntaxError:
                    logger.exception("template %s does not compile", path)


def warm_up_in_background() -> threading.Thread:
    thread = threading.Thread(target=warm_up, name="kechuang-warm-up", daemon=True)
    thread.start()
    return thread

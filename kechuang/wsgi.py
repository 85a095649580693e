"""WSGI entry point: ``granian --interface wsgi kechuang.wsgi:application`` or gunicorn. Each serving
process warms up (URL map, search index, encoder) in the background as it starts."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")
application = get_wsgi_application()

from kechuang.search.warmup import warm_up_in_background  # noqa: E402 needs the settings set up

warm_up_in_background()

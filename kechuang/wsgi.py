"""WSGI entry point: ``granian --interface wsgi kechuang.wsgi:application`` or gunicorn. Each serving
process warms up (URL map, search index, encoder) in the background as it starts."""

import os

# A serving process runs many requests side by side: numpy's BLAS on one thread each, set before numpy
# loads, or a hybrid search's vector product spreads over every core and waits for them (14 ms
# instead of 1.6 ms on a loaded 2-core machine). An operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")
application = get_wsgi_application()

from kechuang.search.warmup import warm_up_in_background  # noqa: E402 needs the settings set up

warm_up_in_background()

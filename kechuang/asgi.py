"""ASGI entry point."""

import os

# A serving process runs many requests side by side: numpy's BLAS on one thread each, set before numpy
# loads, or a hybrid search's vector product spreads over every core and waits for them (14 ms
# instead of 1.6 ms on a loaded 2-core machine). An operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")
application = get_asgi_application()

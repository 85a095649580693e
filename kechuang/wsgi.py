"""WSGI entry point: ``granian --interface wsgi kechuang.wsgi:application`` or gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")
application = get_wsgi_application()

"""WSGI entry point, used by gunicorn: `gunicorn cuspe_portal.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cuspe_portal.settings")

application = get_wsgi_application()

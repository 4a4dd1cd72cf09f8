"""gunicorn's settings for `make serve` and for production: every one from the environment.

    gunicorn -c cuspe_portal/gunicorn.conf.py

GUNICORN_BIND          address to listen on (default 127.0.0.1:8000; set 0.0.0.0:8000 in a
                       container)
WEB_CONCURRENCY        worker processes (default: 2 per CPU core plus one, at most 9). Each
                       thread of each worker keeps a database connection: keep servers x
                       workers x threads under PostgreSQL's max_connections (100 by default)
GUNICORN_THREADS       threads per worker (default 2: a cheap page is served while another
                       thread waits on the database)
GUNICORN_TIMEOUT       seconds a request may take before its worker is restarted (default 30)
GUNICORN_FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are believed (default 127.0.0.1)

Requests are logged by the portal itself (cuspe_portal.requestlog), as JSON lines with the
request id, so gunicorn's own access log is off; its error log is JSON too.
"""

import multiprocessing
import os

# Loaded once in the master (with the application, below), so no worker pays for it on its
# first request from the cache.
import redis  # noqa: F401

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or min(multiprocessing.cpu_count() * 2 + 1, 9))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests, so a slow leak never grows without bound
# (high, since a page from the cache takes about a millisecond).
max_requests = 50000
max_requests_jitter = 5000
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Load the application once, before forking: workers share its memory until they write to it.
preload_app = True
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
wsgi_app = "cuspe_portal.wsgi:application"

accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}

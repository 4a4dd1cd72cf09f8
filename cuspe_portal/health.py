"""Probes for a load balancer or orchestrator: is the process up, and can it serve?"""

import logging

from django.core.cache import cache
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@transaction.non_atomic_requests
@never_cache
@require_safe
def healthz(request):
    """The process answers: no database, no cache (the floor of the stack)."""
    return JsonResponse({"status": "ok"})


@transaction.non_atomic_requests
@never_cache
@require_safe
def readyz(request):
    """Ready to serve: the database and the cache both answer. A 503 names what failed."""
    checks = {"database": _database_answers(), "cache": _cache_answers()}
    ready = all(answer == "ok" for answer in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def _database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means not ready; the log has the details, not the public
        logger.exception("Readiness check: the database did not answer")
        return "unreachable"
    return "ok"


def _cache_answers():
    try:
        cache.set("readyz-probe", "ok", timeout=5)
        answered = cache.get("readyz-probe") == "ok"
    except Exception:
        logger.exception("Readiness check: the cache did not answer")
        return "unreachable"
    return "ok" if answered else "unreachable"

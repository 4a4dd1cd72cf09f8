"""Middleware of the portal's own: requests that must be refused or answered specially.

- NUL characters: PostgreSQL cannot store or compare a NUL in text, so a NUL that reached a
  query would be a 500. No API address or body has a use for one, so such a request is a clear
  JSON 400, as is an admin address with one (its searches go straight to the database). The
  public pages' forms and filters refuse NULs themselves, with a message.
- A database that cannot be reached: a styled 503 rather than a 500 (only when it is really
  unreachable: a statement that failed on a database that answers is still a 500).
"""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import loader

from cuspe_portal.context_processors import portal

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = (
    "The service is unavailable for a moment because its database cannot be reached. "
    "Try again shortly."
)
MESSAGE = "The request contains a NUL character (code 0), which is never valid here."


class RejectNulCharactersMiddleware:
    """Refuse API requests and admin addresses carrying NUL characters before any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and self.carries_nul(request):
            return JsonResponse({"detail": MESSAGE}, status=400)
        if request.path.startswith("/admin/") and self.query_carries_nul(request):
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @classmethod
    def carries_nul(cls, request):
        if cls.query_carries_nul(request):
            return True
        if request.content_type.startswith("multipart/"):
            return False  # files are binary and may hold NULs legitimately
        body = request.body
        if b"\x00" in body:
            return True
        if request.content_type == "application/json":
            return b"\\u0000" in body.lower()  # JSON's escape for a NUL
        if request.content_type == "application/x-www-form-urlencoded":
            return b"%00" in body
        return False

    @staticmethod
    def query_carries_nul(request):
        return "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "")


class DatabaseUnavailableMiddleware:
    """Answer a styled 503 (JSON under /api/) when the database cannot be reached.

    Django closes a connection that failed at the end of the request, and reconnects on the
    next one, so the service comes back by itself when the database does: no restart. Pages
    kept in the page cache (cuspe_portal.cache) are still served meanwhile, since replaying
    them needs no database.
    """

    RETRY_AFTER_SECONDS = 30

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        if database_answers():
            return None  # a failed statement (a lock, a limit), not an absent database: a 500
        logger.error("The database is unavailable: %s", exception, exc_info=exception)
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": UNAVAILABLE_MESSAGE}, status=503)
        else:
            context = {**portal(None), "request_id": getattr(request, "request_id", "")}
            response = HttpResponse(loader.render_to_string("503.html", context), status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response


def database_answers(alias="default"):
    """Whether the database answers a new connection now (the request's own may be broken)."""
    probe = connections.create_connection(alias)
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False
    finally:
        probe.close()

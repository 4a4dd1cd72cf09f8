"""One JSON line per request on stdout, and a request id that ties every log line together.

The id comes from the load balancer's `X-Request-ID` when it sends a sensible one (so a
request can be followed from the proxy's log to ours), otherwise a new random one. It is sent
back in the answer's `X-Request-ID` header, shown on the error pages so a reader can quote it,
and added to every log record made while the request runs (`RequestIdFilter`).
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

logger = logging.getLogger("cuspe_portal.requests")

HEADER = "X-Request-ID"
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_current_request_id = ContextVar("request_id", default="")


def current_request_id():
    """The id of the request being served ("" outside a request)."""
    return _current_request_id.get()


class RequestIdFilter(logging.Filter):
    """Give every log record a `request_id` attribute (blank outside a request)."""

    def filter(self, record):
        record.request_id = _current_request_id.get()
        return True


class RequestLogMiddleware:
    """Outermost middleware: give the request an id, time it, and log one line about it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = offered if _ACCEPTABLE_ID.fullmatch(offered) else uuid.uuid4().hex
        request.request_id = request_id
        token = _current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "cache": response.get("X-Cache", ""),
                },
            )
            return response
        finally:
            _current_request_id.reset(token)

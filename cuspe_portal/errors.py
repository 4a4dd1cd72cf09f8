"""The 400 answer for a request Django refuses before any view sees it.

Too many parameters (DATA_UPLOAD_MAX_NUMBER_FIELDS), a body over the size limit or an
address Django finds suspicious: the API answers in JSON, as it does for every other error,
and the pages with the site's own 400 page.
"""

from django.http import JsonResponse
from django.views import defaults

API_MESSAGE = (
    "The request could not be read: it has too many parameters, is too large, or its address "
    "or body is malformed."
)


def bad_request(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": API_MESSAGE}, status=400)
    return defaults.bad_request(request, exception)

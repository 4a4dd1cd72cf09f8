"""Refuse API requests carrying NUL characters before any view sees them.

PostgreSQL cannot store or compare a NUL in text, so a NUL that reached a query would be a
500. No API address or body has a use for one, so such a request is a clear JSON 400. (The
public pages' forms and filters refuse NULs themselves, with a message on the page.)
"""

from django.http import JsonResponse

NUL_MARKS = (b"\x00", b"\\u0000", b"%00")
MESSAGE = "The request contains a NUL character (code 0), which is never valid here."


class RejectNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and self.carries_nul(request):
            return JsonResponse({"detail": MESSAGE}, status=400)
        return self.get_response(request)

    @staticmethod
    def carries_nul(request):
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "").lower():
            return True
        if request.content_type.startswith("multipart/"):
            return False  # files are binary and may hold NULs legitimately
        body = request.body.lower()
        return any(mark in body for mark in NUL_MARKS)

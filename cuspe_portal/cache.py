"""Whole responses kept for anonymous readers, and dropped on every content change.

Public pages and the API's answers change only when content changes, and most readers are
anonymous, so the portal keeps each anonymous answer in the cache (Redis when `REDIS_URL` is
set, so every application server shares it) and replays it until something changes.

Invalidation is by version: every cache key includes the current *content version*, a random
token kept in the same cache. Any save, delete or link change to a model of the `areas` or
`recommendations` apps replaces the token (at once, and again when the transaction commits,
so a page made from the old rows between the two is not kept either). Every server then asks
for keys nobody has written, and the old answers expire unused. There is nothing to list or
delete, and it holds across servers because the token lives in the shared cache.

Two things change what the public sees without a write: a publication scheduled for later,
and the passing of time on dated pages. Entries are kept no longer than until the next
scheduled publication, and at most `PORTAL_PAGE_CACHE_SECONDS`.

A request is answered from the cache only when it is a GET or HEAD with no session cookie, no
Authorization header and no conditional header (If-None-Match and friends go to the view,
which answers 304 or 412 itself), for an address outside the admin, the probes and preview
links. Only a 200 with no cookie and nothing private is kept. Entries are keyed by the
release (so a deploy starts afresh), the full address, host and scheme included, and, since
the API negotiates its format, the Accept header.

If the cache itself fails, requests are served as if there were no cache.
"""

import functools
import hashlib
import logging
import secrets
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.db.models import Min
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import cc_delim_re

logger = logging.getLogger(__name__)

VERSION_KEY = "portal:content-version"
KEY_PREFIX = "portal:page"
CONTENT_APPS = {"areas", "recommendations"}
CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)
# Set on every answer, so a reader (or a test) can tell a replay from a fresh answer.
STATUS_HEADER = "X-Cache"


def content_version():
    """The current content version; a new one is made if the cache has none."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def content_changed(*, at_once=True):
    """Forget every kept answer, now and again when the current transaction commits.

    The second time is what counts: a page made between the change and its commit shows the
    old rows, and is kept under a version that the commit then retires. (It is asked for once
    per transaction, however many rows the transaction changes.) The first serves where no
    commit comes, such as a test's transaction; `at_once=False` skips it, for bulk loads.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:  # saved already: no commit to wait for
        _new_version()
        return
    if at_once:
        _new_version()
    if not any(hook is _new_version for _sids, hook, _robust in connection.run_on_commit):
        transaction.on_commit(_new_version)


def _new_version():
    # Tried twice: a change must not be missed for a moment's hiccup of the cache. If the
    # cache stays unreachable, it cannot serve what it holds either.
    for attempt in (1, 2):
        try:
            cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)
            return
        except Exception:
            if attempt == 2:
                logger.exception("Could not replace the content version in the cache")


def _content_saved_or_deleted(sender, raw=False, **kwargs):
    content_changed(at_once=not raw)  # raw: a fixture or a restore, row after row


def _content_links_changed(sender, action, **kwargs):
    if action.startswith("post_"):
        content_changed()


def connect_signals():
    """Called from the portal's AppConfig.ready(): watch every model of the content apps
    (their history and link tables too), and only those, so other models keep Django's
    fast bulk deletes."""
    for label in CONTENT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            uid = f"portal-page-cache-{model._meta.label_lower}"
            post_save.connect(_content_saved_or_deleted, sender=model, dispatch_uid=f"{uid}-save")
            post_delete.connect(
                _content_saved_or_deleted, sender=model, dispatch_uid=f"{uid}-delete"
            )
            m2m_changed.connect(_content_links_changed, sender=model, dispatch_uid=f"{uid}-links")


def next_publication(version):
    """When the next scheduled publication falls (None if none is): asked of the database
    once per content version (and again once it has passed), since only a change of content
    can schedule another."""
    key = f"{KEY_PREFIX}:{version}:next-publication"
    kept = cache.get(key)
    if kept == "":
        return None
    if kept is not None and kept > timezone.now():
        return kept
    moments = [
        apps.get_model(label).objects.scheduled().aggregate(soonest=Min("published_at"))
        for label in ("recommendations.Recommendation", "recommendations.Example")
    ]
    found = [row["soonest"] for row in moments if row["soonest"] is not None]
    moment = min(found) if found else None
    cache.set(key, moment or "", timeout=settings.PORTAL_PAGE_CACHE_SECONDS)
    return moment


def _cacheable_request(request):
    if not settings.PORTAL_PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD"):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META:
        return False
    if any(header in request.META for header in CONDITIONAL_HEADERS):
        return False
    return not request.path_info.startswith(settings.PORTAL_PAGE_CACHE_EXCLUDE)


def _cacheable_response(response):
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = {
        part.split("=")[0].strip().lower()
        for part in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    # "no-cache" (the API's: clients must revalidate) is no bar: what is kept here is dropped
    # the moment it would no longer validate.
    return not cache_control & {"private", "no-store"}


@functools.cache
def release():
    """What identifies the deployed code: PORTAL_RELEASE, or the hash of the static files'
    manifest (which changes with every release's assets), or "" in development. Kept
    answers are keyed by it, so a new release never replays the old one's pages, and servers
    of two releases side by side in a rolling deploy never replay each other's."""
    if settings.PORTAL_RELEASE:
        return settings.PORTAL_RELEASE
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    try:
        return hashlib.sha256(manifest.read_bytes()).hexdigest()[:12]
    except OSError:
        return ""


def _key(request, version):
    # The address as the reader asked for it, host and scheme included (links in pages and
    # the API are built from them; build_absolute_uri() also refuses a host not allowed).
    address = request.build_absolute_uri()
    accept = request.META.get("HTTP_ACCEPT", "") if request.path.startswith("/api/") else ""
    digest = hashlib.sha256(f"{address}\n{accept}".encode()).hexdigest()
    return f"{KEY_PREFIX}:{release()}:{version}:{digest}"


class PageCacheMiddleware:
    """Replay kept anonymous answers; keep new ones (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            return self.get_response(request)
        try:
            version = content_version()
            key = _key(request, version)
            kept = cache.get(key)
        except DisallowedHost:
            raise  # Django answers it with a 400
        except Exception:
            logger.exception("The page cache did not answer; serving without it")
            return self.get_response(request)
        if kept is not None:
            return self._replay(kept, request)

        # Read before the page is made: a publication that falls while it is being made must
        # still end what is kept (the page may not show the item).
        timeout = self._timeout(version)
        response = self.get_response(request)
        if timeout and _cacheable_response(response):
            self._keep(key, response, timeout)
        response[STATUS_HEADER] = "miss"
        return response

    @staticmethod
    def _timeout(version):
        """How long an answer made now may be kept: 0 if it may not be kept at all."""
        timeout = settings.PORTAL_PAGE_CACHE_SECONDS
        try:
            publication = next_publication(version)
        except Exception:  # a database error here must not lose the answer being made
            logger.exception("Could not read the next scheduled publication; not keeping")
            return 0
        if publication is not None:
            until = (publication - timezone.now()) / timedelta(seconds=1)
            timeout = min(timeout, int(until))
        return max(timeout, 0)

    @staticmethod
    def _replay(kept, request):
        status, headers, content = kept
        response = HttpResponse(b"" if request.method == "HEAD" else content, status=status)
        for name, value in headers:
            response[name] = value
        response["Content-Length"] = str(len(content))
        response[STATUS_HEADER] = "hit"
        return response

    @staticmethod
    def _keep(key, response, timeout):
        headers = [
            (name, value)
            for name, value in response.items()
            if name.lower() not in ("content-length", "x-request-id")
        ]
        try:
            cache.set(key, (response.status_code, headers, response.content), timeout=timeout)
        except Exception:
            logger.exception("Could not keep the answer in the page cache")

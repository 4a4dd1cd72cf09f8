import pytest
from django.core.cache import cache
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory

BROWSER = {"page", "browser_page", "live_server"}


def pytest_collection_modifyitems(items):
    """Browser tests run last.

    Playwright's session keeps an event loop open in the test thread until the session ends,
    and under it Django hands out new database connection objects, without the snapshot that
    `serialized_rollback` tests restore the migrated rows from. (pytest-django has already put
    transactional tests after the others; this stable sort keeps that order otherwise.)
    """
    items.sort(key=lambda item: not BROWSER.isdisjoint(getattr(item, "fixturenames", ())))


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: no kept pages, rate counts or lockouts."""
    cache.clear()
    yield
    cache.clear()


TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@pytest.fixture(autouse=True)
def count_only_statements_that_read_or_write(monkeypatch):
    """Query budgets count the statements a page runs, not transaction control.

    Each request runs in a transaction (ATOMIC_REQUESTS); inside a test's own transaction
    that shows as a SAVEPOINT and a RELEASE, which a budget should not count. (In production
    it is a BEGIN and a COMMIT, which Django does not record either.)
    """
    recorded = CaptureQueriesContext.captured_queries

    def statements(self):
        return [
            query
            for query in recorded.fget(self)
            if not query["sql"].upper().startswith(TRANSACTION_CONTROL)
        ]

    monkeypatch.setattr(CaptureQueriesContext, "captured_queries", property(statements))


@pytest.fixture
def no_page_cache(settings):
    """Turn the page cache off, for tests that count what a page itself costs."""
    settings.PORTAL_PAGE_CACHE_SECONDS = 0

"""Clients for the API tests: anonymous, and by token as a reader, an editor and a superuser."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import TokenFactory, UserFactory

CONTENT = ["recommendation", "example", "reference"]
STRUCTURE = ["area", "theme", "report"]
EVERYTHING = [*CONTENT, *STRUCTURE]


def app_of(model):
    return "areas" if model in ("area", "theme") else "recommendations"


def grants(actions, models):
    return [f"{app_of(model)}.{action}_{model}" for action in actions for model in models]


@pytest.fixture(autouse=True)
def no_throttle(settings):
    """No throttling unless a test asks for it, so a busy test is never a flaky 429."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None},
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {TokenFactory(user=user).key}")
    client.user = user
    return client


@pytest.fixture
def reader(db):
    """Someone who may view everything in the admin (drafts too) and change nothing."""
    return client_for(UserFactory(username="reader", permissions=grants(["view"], EVERYTHING)))


@pytest.fixture
def editor(db):
    """An editor: may add and change content (recommendations, examples, references)."""
    permissions = grants(["view"], EVERYTHING) + grants(["add", "change"], CONTENT)
    return client_for(UserFactory(username="editor", permissions=permissions))


@pytest.fixture
def root(superuser):
    return client_for(superuser)

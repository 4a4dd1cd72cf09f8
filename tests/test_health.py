from unittest import mock

import pytest
from django.db import OperationalError


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_says_ready_when_the_database_and_cache_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_readyz_is_a_503_naming_the_database_when_it_is_down(client):
    with mock.patch("cuspe_portal.health.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unreachable", "cache": "ok"}
    assert "down" not in response.content.decode()  # details go to the log, not the public


@pytest.mark.django_db
def test_readyz_is_a_503_naming_the_cache_when_it_is_down(client):
    with mock.patch("cuspe_portal.health.cache.set", side_effect=ConnectionError("refused")):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "unreachable"

"""The production settings: `check --deploy` is clean, and every answer carries the headers."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def production_environment(**overrides):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PORTAL_", "REDIS_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="cuspe_portal.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="recommendations.example.gov.uk",
        **overrides,
    )
    return environment


def check_deploy(**overrides):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        env=production_environment(**overrides),
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_the_production_settings():
    result = check_deploy()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_says_what_is_wrong_when_https_is_turned_off():
    result = check_deploy(DJANGO_HTTPS="false")

    assert "SECURE_SSL_REDIRECT" in result.stdout + result.stderr
    assert "SESSION_COOKIE_SECURE" in result.stdout + result.stderr


@pytest.fixture
def over_https(settings):
    """The production settings' HTTPS half, as settings.py makes it when DEBUG is off."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True


@pytest.mark.parametrize("path", ["/", "/recommendations/", "/api/v1/recommendations/"])
def test_every_answer_carries_the_security_headers(client, over_https, path):
    response = client.get(path, secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    directives = response["Content-Security-Policy"].split(";")
    policy = dict(directive.strip().split(" ", 1) for directive in directives)
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'"


def test_plain_http_is_sent_to_https_but_the_probes_answer_over_http(client, over_https):
    response = client.get("/recommendations/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/recommendations/"
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_cookies_are_secure_and_out_of_reach_of_scripts(client, over_https, superuser):
    superuser.set_password("a long enough password")
    superuser.save()
    csrf = client.get("/admin/login/", secure=True).cookies["csrftoken"]
    signed_in = client.post(
        "/admin/login/",
        {"username": superuser.username, "password": "a long enough password"},
        secure=True,
    )

    assert signed_in.status_code == 302
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME]
    for cookie in (csrf, session):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


def test_a_form_posted_without_its_csrf_token_is_refused(superuser):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)

    response = client.post(
        "/admin/recommendations/recommendation/add/", {"title": "Slipped in", "summary": "x"}
    )

    assert response.status_code == 403

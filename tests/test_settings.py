import os
import subprocess
import sys

from django.conf import settings

CHECK = [sys.executable, "-c", "import django; django.setup(); print('started')"]


def run_with(**environment):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PORTAL_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="cuspe_portal.settings", **environment)
    return subprocess.run(
        CHECK, env=env, capture_output=True, text=True, cwd=settings.BASE_DIR, timeout=60
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_with(DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_starts_with_a_secret_key():
    result = run_with(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50)

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_a_malformed_brand_colour_is_refused_at_start():
    result = run_with(DJANGO_DEBUG="true", PORTAL_BRAND_COLOUR='red"><script>')

    assert result.returncode != 0
    assert "PORTAL_BRAND_COLOUR" in result.stderr


def test_the_organisation_name_comes_from_the_environment():
    script = "import django; django.setup(); from django.conf import settings as s; "
    script += "print(s.PORTAL_ORGANISATION_NAME)"
    env = {**os.environ, "DJANGO_DEBUG": "true", "PORTAL_ORGANISATION_NAME": "Testshire Council"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.stdout.strip() == "Testshire Council"

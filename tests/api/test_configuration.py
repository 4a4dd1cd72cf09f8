import os
import subprocess
import sys

import pytest
from django.conf import settings

CHECK = "import django; django.setup(); from django.conf import settings as s; "


def start_with(**environment):
    env = {key: value for key, value in os.environ.items() if not key.startswith("API_")}
    env.update(DJANGO_SETTINGS_MODULE="cuspe_portal.settings", DJANGO_DEBUG="true", **environment)
    script = CHECK + "print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['anon'])"
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )


def test_the_anonymous_rate_comes_from_the_environment():
    assert start_with(API_ANON_THROTTLE_RATE="30/hour").stdout.strip() == "30/hour"
    assert start_with().stdout.strip() == "120/minute"
    assert start_with(API_ANON_THROTTLE_RATE="").stdout.strip() == "None"


def test_a_malformed_rate_is_refused_at_start():
    result = start_with(API_ANON_THROTTLE_RATE="lots")

    assert result.returncode != 0
    assert "API_ANON_THROTTLE_RATE" in result.stderr


@pytest.mark.django_db
def test_the_footer_links_to_the_api_docs(client):
    page = client.get("/")

    assert page.status_code == 200
    assert 'href="/api/v1/docs/"' in page.text
    assert client.get("/api/v1/docs/").status_code == 200

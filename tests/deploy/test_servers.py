"""The portal as it is deployed: two gunicorn servers sharing PostgreSQL and Redis.

Each test here starts real processes: a fresh PostgreSQL database, migrated and seeded; two
gunicorn servers on two ports with production settings (DEBUG off, whitenoise's hashed
static files, JSON logs), sharing that database and one Redis; and, between the servers and
PostgreSQL, a small TCP relay that the test can cut, to stop the database as the servers
see it without stopping the database server that other tests use.

They run when the suite runs on PostgreSQL (DATABASE_URL=postgres://…, as CI's second pass
does) with Redis at REDIS_TEST_URL (default redis://127.0.0.1:6379/0); otherwise they are
skipped, except in CI (CI=true), where a missing Redis fails them.
"""

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
HOST = "127.0.0.1"
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
PASSWORD = secrets.token_urlsafe(16)
DEMONSTRATION_REPORT = "demonstration"

pytestmark = pytest.mark.skipif(
    not settings.DATABASE_IS_POSTGRES,
    reason="the deployment tests run on PostgreSQL (DATABASE_URL=postgres://…)",
)


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_until(condition, *, seconds=30, what="the condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {seconds} s waiting for {what}.")


class Relay:
    """A TCP relay from a local port to PostgreSQL that can be cut and restored."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.listener = None
        self.sockets = []
        self.lock = threading.Lock()

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self):
        """Refuse new connections and break every open one, as a stopped database does."""
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Server:
    """One gunicorn server of the portal, and a browser-like client for it."""

    def __init__(self, environment, log_path):
        self.port = free_port()
        self.log_path = log_path
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "cuspe_portal/gunicorn.conf.py"],
            cwd=ROOT,
            env={**environment, "GUNICORN_BIND": f"{HOST}:{self.port}"},
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects()
        )
        wait_until(self.answers, what=f"gunicorn on port {self.port}")

    def answers(self):
        assert self.process.poll() is None, self.log_path.read_text()
        try:
            return self.get("/healthz", anonymous=True).status == 200
        except OSError:
            return False

    def get(self, path, *, anonymous=False, headers=None):
        return self.request("GET", path, anonymous=anonymous, headers=headers)

    def request(self, method, path, *, data=None, anonymous=False, headers=None):
        url = f"http://{HOST}:{self.port}{path}"
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        opener = urllib.request.build_opener(NoRedirects()) if anonymous else self.opener
        try:
            response = opener.open(request, timeout=20)
        except urllib.error.HTTPError as error:
            response = error
        response.text = response.read().decode()
        return response

    def sign_in(self, username, password):
        self.get("/admin/login/")
        response = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.csrf_token(),
            },
        )
        assert response.status == 302, response.text

    def csrf_token(self):
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def manage(environment, *command):
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def redis_available():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        reason = f"Redis does not answer at {REDIS_URL} ({error})."
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} CI must run the deployment tests.")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def deployment(redis_available, tmp_path_factory):
    """A migrated, seeded database behind a relay, and two servers sharing it and Redis."""
    work = tmp_path_factory.mktemp("deployment")
    database = settings.DATABASES["default"]
    name = f"portal_deploy_{uuid.uuid4().hex[:12]}"
    admin_url = (
        f"postgresql://{database['USER']}@{database['HOST'] or HOST}:{database['PORT'] or 5432}"
    )
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    relay = Relay((database["HOST"] or HOST, int(database["PORT"] or 5432)))
    relay.start()
    production = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PORTAL_", "DATABASE_"))
    }
    production.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_HTTPS="false",  # plain HTTP on loopback; HTTPS is tested in tests/test_security
        DJANGO_STATIC_ROOT=str(work / "static"),
        DATABASE_URL=f"postgresql://{database['USER']}@{HOST}:{relay.port}/{name}",
        DATABASE_CONN_MAX_AGE="60",
        REDIS_URL=REDIS_URL,
        PORTAL_CACHE_KEY_PREFIX=f"test-{uuid.uuid4().hex[:8]}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        API_ANON_THROTTLE_RATE="",
    )
    manage(production, "migrate", "--noinput")
    manage(production, "load_content", "--demo")
    manage(production, "collectstatic", "--noinput")
    manage(
        production,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_superuser('publisher', '', '{PASSWORD}')",
    )
    servers = [Server(production, work / f"server-{number}.log") for number in (1, 2)]
    yield servers, relay
    for server in servers:
        server.stop()
    relay.stop()
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_change_published_through_one_server_shows_at_once_through_the_other(deployment):
    (first, second), _relay = deployment
    first.sign_in("publisher", PASSWORD)
    draft = first.request(
        "POST",
        "/api/v1/recommendations/",
        data={
            "title": "Share one cache between servers",
            "summary": "Every server reads the same cache.",
            "area": "technology",
            "report": DEMONSTRATION_REPORT,
        },
        headers={"X-CSRFToken": first.csrf_token()},
    )
    assert draft.status == 201, draft.text
    reference = json.loads(draft.text)["reference"]
    # The second server has served and kept the list and the API's list without it.
    for path in ("/recommendations/?area=technology", "/api/v1/recommendations/?area=technology"):
        assert reference not in second.get(path, anonymous=True).text
        kept = second.get(path, anonymous=True)
        assert kept.headers["X-Cache"] == "hit"
        assert reference not in kept.text

    listed = first.get(f"/admin/recommendations/recommendation/?q={reference}").text
    (pk,) = re.findall(r'name="_selected_action" value="(\d+)"', listed)
    published = first.request(
        "POST",
        "/admin/recommendations/recommendation/",
        data={
            "action": "publish_selected",
            "_selected_action": [pk],
            "csrfmiddlewaretoken": first.csrf_token(),
        },
    )
    assert published.status == 302, published.text

    for path in ("/recommendations/?area=technology", "/api/v1/recommendations/?area=technology"):
        now = second.get(path, anonymous=True)
        assert now.status == 200
        assert now.headers["X-Cache"] == "miss"
        assert reference in now.text
    page = second.get(f"/recommendations/{reference}/", anonymous=True)
    assert page.status == 200
    assert "Share one cache between servers" in page.text


def test_with_the_database_stopped_pages_say_so_and_service_resumes_without_a_restart(
    deployment,
):
    (first, second), relay = deployment
    kept = "/themes/"
    assert second.get(kept, anonymous=True).status == 200  # now in the shared cache
    assert second.get(kept, anonymous=True).headers["X-Cache"] == "hit"
    pids = [server.process.pid for server in (first, second)]

    relay.stop()
    try:
        ready = second.get("/readyz", anonymous=True)
        assert ready.status == 503
        assert json.loads(ready.text) == {
            "status": "unavailable",
            "checks": {"database": "unreachable", "cache": "ok"},
        }
        page = second.get("/examples/", anonymous=True)
        assert page.status == 503
        assert page.headers["Retry-After"] == "30"
        assert "Sorry, the service is unavailable" in page.text
        assert 'rel="stylesheet"' in page.text  # the styled page, not a bare error
        assert page.headers["X-Request-ID"] in page.text  # a reference to quote
        api = first.get("/api/v1/examples/", anonymous=True)
        assert api.status == 503
        assert "database cannot be reached" in json.loads(api.text)["detail"]
        # What the cache holds is still served.
        still = second.get(kept, anonymous=True)
        assert still.status == 200
        assert still.headers["X-Cache"] == "hit"
        assert second.get("/healthz", anonymous=True).status == 200  # the process is fine
    finally:
        relay.start()

    for server in (first, second):
        wait_until(
            lambda server=server: server.get("/examples/", anonymous=True).status == 200,
            seconds=15,
            what="the page to be served again",
        )
        assert server.get("/readyz", anonymous=True).status == 200
    assert [server.process.pid for server in (first, second)] == pids  # no restart


def test_the_servers_log_each_request_as_one_json_line(deployment):
    (first, _second), _relay = deployment
    response = first.get("/about/", anonymous=True, headers={"X-Request-ID": "trace-1234abcd"})
    assert response.headers["X-Request-ID"] == "trace-1234abcd"

    def logged():
        lines = first.log_path.read_text().splitlines()
        return [json.loads(line) for line in lines if "trace-1234abcd" in line]

    wait_until(logged, seconds=5, what="the request's log line")
    (line,) = logged()
    assert line["path"] == "/about/"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert line["time"].startswith(str(time.gmtime().tm_year))

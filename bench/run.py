"""Benchmark the portal as production runs it, and Datasette on the same data.

For each size (1,000 and 10,000 recommendations; 100,000 too with --full) this script:

1. drops and creates the PostgreSQL database `bench`, migrates it, loads the real seed
   (`load_content`) and generates the recommendations (`generate_data`), then VACUUM ANALYZE;
2. measures the portal in two passes, each on its own gunicorn started as production starts
   it (`gunicorn -c cuspe_portal/gunicorn.conf.py`: gthread workers, the application
   preloaded, workers recycled, the JSON request log on) with DJANGO_DEBUG=false and Redis as
   the cache, on 127.0.0.1:
   - uncached (PORTAL_PAGE_CACHE_SECONDS=0): every request does the work; what a page costs
     when the cache misses (after every content change) and what the cache saves;
   - cached (the page cache on, as deployed): after the warm-up every measured request is
     answered from the cache, which the answers' X-Cache header shows and the script checks;
   in each pass wrk measures, with a fixed number of concurrent connections for a fixed time,
   the floor (/healthz) and each page of the issue's list, and each worker's memory is read;
3. exports the published recommendations to SQLite with a full-text index, serves them with
   Datasette (facets and search) and measures the equivalent requests.

At the largest size it then runs the load test (64 connections for 60 seconds over every
page, against the production configuration: the page cache on, starting empty) and writes the
results, with each page as a ratio to the floor of the same pass and its growth from the
smallest size to the largest, as JSON and Markdown under bench/results/.

Only 127.0.0.1 is ever contacted. Every wait is bounded in time, every load run in duration,
the servers this script starts are stopped by their process id when it ends, and the cache
keys it made (under a prefix of its own) are deleted.
Run it with the project's virtualenv: `.venv/bin/python bench/run.py` (see bench/README.md).
"""

import argparse
import functools
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WRK_SCRIPT = BENCH / "wrk.lua"
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", f"postgresql://postgres@{HOST}:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", f"redis://{HOST}:6379/0")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DATABASE = "bench"
QUICK_SIZES = [1_000, 10_000]
FULL_SIZES = [1_000, 10_000, 100_000]
REPORT_SLUG = "generated-benchmark-data"  # recommendations/management/commands/generate_data
GUNICORN_CONFIG = "cuspe_portal/gunicorn.conf.py"
PAGE_CACHE_SECONDS = 600  # production's default when REDIS_URL is set
WORKER_MEMORY_LIMIT_MB = 150
WRK_TIMEOUT = 30  # seconds; a slower answer counts as a timeout, and its latency is lost
P95_LIMIT_MS = 100
P95_CLIENTS = 8  # the latency target's number of concurrent clients
GROWTH_LIMIT = 1.5
SHARE_OF_FLOOR = 0.5

# The two passes made at every size: (name, key of its pages in the results, key of its
# workers' memory, page cache on).
PASSES = [
    ("uncached", "pages", "workers", False),
    ("cached", "cached_pages", "cached_workers", True),
]
# The pages the issue names, as (key, label, path); "{reference}" is filled in per size.
PAGES = [
    ("home", "Home page", "/"),
    ("list", "List, two filters", "/recommendations/?area=governance&status=in_progress"),
    ("detail", "A recommendation", "/recommendations/{reference}/"),
    ("search", "Search, a common word", "/search/?q=council"),
    ("api", "API list, one filter", "/api/v1/recommendations/?area=governance"),
    (
        "api_two_filters",
        "API list, two filters",
        "/api/v1/recommendations/?area=governance&status=in_progress",
    ),
]
# The anonymous pages the target "cached pages at least half the floor's throughput" names.
CACHED_TARGET_PAGES = ("home", "list", "detail", "search", "api")
# The same question asked of both: (label, portal page key, Datasette path).
DATASETTE_TABLE = "/bench/recommendations"
COMPARISONS = [
    (
        "Filtered list, HTML",
        "list",
        f"{DATASETTE_TABLE}?area=governance&status=in_progress&_size=20",
    ),
    (
        "Filtered list, JSON",
        "api_two_filters",
        f"{DATASETTE_TABLE}.json?area=governance&status=in_progress&_size=20&_shape=objects",
    ),
    ("Search, a common word", "search", f"{DATASETTE_TABLE}?_search=council&_size=20"),
]
# Datasette's facets mirror the portal's list page: area, theme, status, priority, horizon,
# report. Time limits are raised so that no facet is skipped for taking too long.
DATASETTE_METADATA = {
    "databases": {
        "bench": {
            "tables": {
                "recommendations": {
                    "facets": [
                        "area",
                        "status",
                        "priority",
                        "horizon",
                        "report",
                        {"array": "themes"},
                    ],
                    "fts_table": "recommendations_fts",
                    "fts_pk": "id",
                }
            }
        }
    }
}
DATASETTE_SETTINGS = {
    "default_page_size": "20",
    "suggest_facets": "off",
    "facet_time_limit_ms": "5000",
    "sql_time_limit_ms": "10000",
}


def main():
    # Stopped from outside (SIGTERM, or SIGINT in a background job): unwind, so the
    # `finally` blocks stop the servers this script started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("Stopped by SIGTERM."))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    options = arguments()
    sizes = FULL_SIZES if options.full else sorted(set(options.sizes))
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `apt-get install -y wrk` (or run `make bench`).")
    for program in ["gunicorn"] + ([] if options.no_datasette else ["datasette"]):
        if not (VENV_BIN / program).exists():
            sys.exit(f"{program} is not installed in {VENV_BIN}: run `make bench`.")
    for variable, url in (("BENCH_POSTGRES_URL", POSTGRES), ("BENCH_REDIS_URL", REDIS)):
        if urllib.parse.urlsplit(url).hostname not in LOOPBACK:
            sys.exit(f"{variable} must point to this machine's loopback, not {url}.")
    try:
        redis_client().ping()
    except redis.RedisError as error:
        sys.exit(f"Redis does not answer at {REDIS} ({error}): start it, or set BENCH_REDIS_URL.")
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    environment = server_environment(work)
    # Every server gets keys of its own under this prefix (a size's data, a pass): no run,
    # size or pass is ever answered from another's cache, and the keys are deleted after.
    prefix = f"bench-{secrets.token_hex(4)}"
    results = {
        "command": " ".join([os.path.relpath(sys.executable, ROOT), *sys.argv]),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "sizes": sizes,
            "seed": options.seed,
            "connections": options.connections,
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "gunicorn_config": GUNICORN_CONFIG,
            "gunicorn_workers": options.workers,
            "gunicorn_threads": options.threads,
            "gunicorn_worker_class": "gthread" if options.threads > 1 else "sync",
            "page_cache_seconds": PAGE_CACHE_SECONDS,
            "cache": f"{REDIS}, key prefix {prefix}",
            "request_log": "on (production's: one JSON line a request, to the server's log)",
            "load_run": {"connections": options.load_connections, "duration_s": options.load},
        },
        "sizes": {},
    }
    mode = "full" if options.full else "quick"
    name = f"{mode}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    partial = options.out / f"{name}.partial.json"  # what was measured, should a later step fail
    options.out.mkdir(parents=True, exist_ok=True)
    try:
        manage(environment, "collectstatic", "--noinput", "-v0")
        for size in sizes:
            print(f"\n== {size:,} recommendations ==", flush=True)
            results["sizes"][str(size)] = measure_size(
                size, options, environment, work, f"{prefix}-{size}"
            )
            if size == sizes[-1] and options.load:
                results["load_run"] = load_run(
                    size, options, environment, work, f"{prefix}-{size}-load"
                )
            partial.write_text(json.dumps(results, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    add_judgements(results)
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    write(results, options.out, name)
    partial.unlink(missing_ok=True)


def add_judgements(results):
    sizes = results["settings"]["sizes"]
    results["growth"] = growth(results, sizes, "pages")
    results["cached_growth"] = growth(results, sizes, "cached_pages")
    results["checks"] = checks(results, sizes)


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(size) for size in text.split(",")],
        default=QUICK_SIZES,
        help="comma-separated numbers of recommendations (default 1000,10000)",
    )
    parser.add_argument("--full", action="store_true", help="1,000, 10,000 and 100,000")
    parser.add_argument("--seed", type=int, default=1, help="generate_data's seed (default 1)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per page (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per page (2)")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn workers, WEB_CONCURRENCY (default 2 x cores + 1, as in production)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="threads per worker, GUNICORN_THREADS (default 2, as in production: gthread)",
    )
    parser.add_argument(
        "--load",
        type=int,
        default=60,
        help="seconds of the load run at the largest size (60; 0 skips)",
    )
    parser.add_argument("--load-connections", type=int, default=64, help="its connections (64)")
    parser.add_argument("--no-datasette", action="store_true", help="skip the comparison")
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="results folder")
    parser.add_argument(
        "--markdown", type=Path, metavar="JSON", help="only print the Markdown of saved results"
    )
    options = parser.parse_args()
    if options.markdown:
        results = json.loads(options.markdown.read_text())
        if any("cached_pages" not in measured for measured in results["sizes"].values()):
            sys.exit(f"{options.markdown} was written before the cached pass: no Markdown for it.")
        add_judgements(results)
        print(markdown(results), end="")
        sys.exit()
    if options.duration > 120 or options.load > 600 or options.warmup > 30:
        parser.error("keep runs bounded: --duration at most 120, --load 600, --warmup 30")
    if not (1 <= options.workers <= 64 and 1 <= options.threads <= 32):
        parser.error("--workers from 1 to 64, --threads from 1 to 32")
    return options


def server_environment(work):
    """The portal's settings for the benchmark: production's, on the `bench` database.

    Every setting of the portal and of gunicorn is set here or left at its default, never
    taken from the caller's environment; gunicorn's and the cache's are added per server
    (`gunicorn`). manage.py's commands run with this environment: no cache server, so that
    nothing they do touches Redis.
    """
    ours = ("DJANGO_", "DATABASE_", "PORTAL_", "REDIS_", "API_", "GUNICORN_", "WEB_CONCURRENCY")
    environment = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
    environment.update(
        DJANGO_DEBUG="false",
        # Production redirects plain HTTP to HTTPS; the benchmark speaks plain HTTP on loopback.
        DJANGO_HTTPS="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=f"{POSTGRES}/{DATABASE}",
        DJANGO_STATIC_ROOT=str(work / "static"),
        # The anonymous API throttle (120 a minute per address) would answer 429 to a load
        # generator on one address: the benchmark measures the work, not the limit.
        API_ANON_THROTTLE_RATE="",
        # Each worker keeps its PostgreSQL connection through a pass, so the backend's CPU
        # time can be read before and after (a backend that closes takes it with it).
        DATABASE_CONN_MAX_AGE="900",
        # Production's logging, stated so the caller's environment cannot change it: a JSON
        # line for every request (and gunicorn's own lines) on stdout, into the server's log
        # file. Production pays for writing its request log on every request, so the figures
        # include it. (DJANGO_LOG_LEVEL does not silence the request log: its logger has its
        # own level, which DJANGO_LOG_REQUESTS sets.)
        DJANGO_LOG_LEVEL="INFO",
        DJANGO_LOG_FORMAT="json",
        DJANGO_LOG_REQUESTS="true",
        PORTAL_PAGE_CACHE_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    return environment


def manage(environment, *command, timeout=900):
    run = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if run.returncode:
        sys.exit(f"manage.py {' '.join(command)} failed:\n{run.stdout}\n{run.stderr}")
    return run.stdout


def database_recreate():
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def measure_size(size, options, environment, work, prefix):
    """Fresh database with `size` recommendations; the portal's pages uncached and cached,
    its workers' memory in each pass; Datasette's pages."""
    timings = {}
    moment = time.monotonic()
    database_recreate()
    manage(environment, "migrate", "--noinput", "-v0")
    manage(environment, "load_content")
    timings["migrate_s"] = round(time.monotonic() - moment, 1)
    moment = time.monotonic()
    print(
        manage(
            environment, "generate_data", f"--recommendations={size}", f"--seed={options.seed}"
        ).strip()
    )
    timings["generate_s"] = round(time.monotonic() - moment, 1)
    with psycopg.connect(f"{POSTGRES}/{DATABASE}", autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        reference = detail_reference(connection)
    measured = {"timings": timings, "detail_reference": reference, "servers": {}}
    with psycopg.connect(f"{POSTGRES}/{DATABASE}", autocommit=True) as watcher:
        for name, pages_key, workers_key, cached in PASSES:
            print(
                f" {name.capitalize()} pass (page cache {'on' if cached else 'off'}):", flush=True
            )
            with gunicorn(
                options, environment, work, name=f"{size}-{name}", cached=cached,
                cache_prefix=f"{prefix}-{name}",
            ) as (port, master, log):  # fmt: skip
                meter = gunicorn_meter(master, watcher)
                floor_path, floor_note = floor(port)
                measured["floor"] = {"path": floor_path, "note": floor_note}
                # The floor is never kept by the page cache: the same in both passes.
                pages = {"floor": page_run(port, floor_path, options, "Floor", meter)}
                for key, label, path in PAGES:
                    pages[key] = page_run(
                        port, path.format(reference=reference), options, label, meter,
                        cached=cached,
                    )  # fmt: skip
                for figures in pages.values():
                    figures.update(ratios(figures, pages["floor"]))
                measured[workers_key] = workers_memory(master, proportional=True)
            measured[pages_key] = pages
            measured["servers"][name] = server_summary(meter, log)
    if not options.no_datasette:
        measured["datasette"] = datasette_compare(measured, options, work)
    return measured


def detail_reference(connection):
    """A published generated recommendation with examples, references, related and updates."""
    row = connection.execute(
        """
        SELECT r.reference FROM recommendations_recommendation r
        JOIN recommendations_report p ON p.id = r.report_id
        WHERE p.slug = %s AND r.publication_state = 'published' AND r.published_at <= now()
          AND EXISTS (SELECT 1 FROM recommendations_recommendation_examples x
                      WHERE x.recommendation_id = r.id)
          AND EXISTS (SELECT 1 FROM recommendations_recommendation_sources x
                      WHERE x.recommendation_id = r.id)
          AND EXISTS (SELECT 1 FROM recommendations_recommendation_related x
                      WHERE x.from_recommendation_id = r.id)
          AND EXISTS (SELECT 1 FROM recommendations_progressupdate x
                      WHERE x.recommendation_id = r.id)
        ORDER BY r.id LIMIT 1
        """,
        [REPORT_SLUG],
    ).fetchone()
    if row is None:
        sys.exit("No published generated recommendation with all its links: too few rows?")
    return row[0]


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def server(command, environment, log_path, ready_path, port):
    """Start a server in its own session, wait until it answers, stop it by its id after."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                sys.exit(f"{command[0]} stopped at start; see {log_path}:\n{log_path.read_text()}")
            if status_of(port, ready_path) is not None:
                break
            time.sleep(0.25)
        else:
            sys.exit(f"{command[0]} did not answer within 60 s; see {log_path}")
        yield process
    finally:
        stop(process)


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the group this script made for the server
        try:
            process.wait(timeout=30)  # gunicorn's graceful_timeout is 20 s
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def gunicorn(options, environment, work, *, name, cached, cache_prefix):
    """gunicorn started as production starts it (its configuration file, which reads the
    environment) on a free loopback port, with Redis as the cache under `cache_prefix`, the
    page cache on if `cached`. Yields (port, master's id, log file); the keys made under
    `cache_prefix` are deleted after."""
    port = free_port()
    environment = dict(
        environment,
        GUNICORN_BIND=f"{HOST}:{port}",
        WEB_CONCURRENCY=str(options.workers),
        GUNICORN_THREADS=str(options.threads),
        # Redis in both passes, as deployed; only the page cache is on or off.
        REDIS_URL=REDIS,
        PORTAL_CACHE_KEY_PREFIX=cache_prefix,
        PORTAL_PAGE_CACHE_SECONDS=str(PAGE_CACHE_SECONDS if cached else 0),
    )
    command = [str(VENV_BIN / "gunicorn"), "-c", GUNICORN_CONFIG]
    log = work / f"gunicorn-{name}.log"
    try:
        with server(command, environment, log, "/healthz", port) as process:
            yield port, process.pid, log
    finally:
        forget(cache_prefix)


@functools.cache
def redis_client():
    return redis.Redis.from_url(REDIS, socket_timeout=5, socket_connect_timeout=5)


def forget(prefix):
    """Delete the cache keys made under `prefix` (Django's keys are "prefix:version:key")."""
    try:
        keys = list(redis_client().scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            redis_client().delete(*keys[start : start + 500])
    except redis.RedisError as error:
        print(f"  (could not delete the cache keys {prefix}:*: {error})", flush=True)


def fetch(port, path):
    """(HTTP status, headers) of GET path, or (None, {}) if nothing answers."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=30) as response:
            response.read()
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None, {}


def status_of(port, path):
    """The HTTP status of GET path, or None if nothing answers."""
    return fetch(port, path)[0]


def floor(port):
    if status_of(port, "/healthz") == 200:
        return "/healthz", ""
    return (
        "/robots.txt",
        "/healthz did not answer 200: /robots.txt (a template, no query) is the floor",
    )


def wrk(port, path, *, connections, duration, threads=1, paths=(), tick=None):
    """One bounded wrk run; its figures, or an error. `tick` is called every half second
    while it runs."""
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", f"{WRK_TIMEOUT}s",
        "-s", str(WRK_SCRIPT), f"http://{HOST}:{port}{path}", "--", *paths,
    ]  # fmt: skip
    limit = duration + WRK_TIMEOUT + 30
    deadline = time.monotonic() + limit
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            try:
                stdout, stderr = process.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    process.kill()
                    process.communicate()
                    return {"error": f"wrk did not finish within {limit} s"}
                if tick:
                    tick()
    except BaseException:
        process.kill()
        process.wait()
        raise
    line = next((line for line in stdout.splitlines() if line.startswith("BENCH_JSON ")), None)
    if line is None:
        return {"error": f"wrk gave no figures: {stdout}{stderr}"[:500]}
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    if not raw["requests"]:
        return {"requests": 0, "error": f"no answer within {duration} s"}
    latency = raw["latency_us"]
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(latency["p50"] / 1000, 1),
        "p95_ms": round(latency["p95"] / 1000, 1),
        "p99_ms": round(latency["p99"] / 1000, 1),
        "max_ms": round(latency["max"] / 1000, 1),
        "kb_per_response": round(raw["bytes"] / max(1, raw["requests"]) / 1024, 1),
        "errors": {name: count for name, count in raw["errors"].items() if count},
        "statuses": raw["statuses"],
        # The answers' X-Cache header: "hit", "miss", or "none" where the cache stood aside.
        "x_cache": raw["x_cache"],
    }


def page_run(port, path, options, label, meter, *, cached=False):
    """Warm up, then measure one page; `meter` reads the CPU time the server's processes
    used, whose CPU time per request is counted too (a measure other load on the machine
    barely moves). With `cached`, the page cache must answer every measured request."""
    status = status_of(port, path)
    print(f"  {label:<24} {path}: ", end="", flush=True)
    if status != 200:
        print(f"answered {status}, not measured", flush=True)
        return {"label": label, "path": path, "error": f"answered {status}"}
    # wrk stops with a request outstanding on every connection, and the server still answers
    # them: each step starts once the server has finished what the previous one left.
    wait_idle(meter)
    if options.warmup:  # every worker has served the page once: no cold start below
        wrk(port, path, connections=options.connections, duration=options.warmup, tick=meter.tick)
        wait_idle(meter)
    # The request before this one (the warm-up's, or the status check's) filled the cache.
    x_cache = fetch(port, path)[1].get("X-Cache", "none") if cached else None
    single = one_at_a_time(port, path)
    load_before = load_average()
    meter.start()
    figures = wrk(
        port, path, connections=options.connections, duration=options.duration, tick=meter.tick
    )
    load_after = load_average()
    wait_idle(meter)
    used = meter.used()
    # Other processes on the machine take cores from the run: the load shows how much.
    figures.update(label=label, path=path, single_ms=single, load_average=[load_before, load_after])
    if "requests" in figures:
        # Served from idle to idle: what wrk counted, and the one left on each connection.
        served = figures["requests"] + options.connections
        for name, seconds in used.items():
            figures[f"{name}_cpu_ms"] = round(1000 * seconds / served, 2)
        figures["cpu_ms"] = round(sum(figures[f"{name}_cpu_ms"] for name in used), 2)
    if cached:
        figures["x_cache_check"] = x_cache
        answers = figures.get("x_cache", {})
        not_hits = sum(count for value, count in answers.items() if value != "hit")
        if x_cache != "hit":
            figures["cache_error"] = f"X-Cache {x_cache!r} after the warm-up, not 'hit'"
        elif not_hits:
            figures["cache_error"] = (
                f"{not_hits:,} of {sum(answers.values()):,} measured answers not hits: {answers}"
            )
    if "error" not in figures:
        print(
            f"{figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.1f} ms  "
            f"p95 {figures['p95_ms']:7.1f} ms  CPU {figures['cpu_ms']:6.2f} ms/req"
            + (f"  X-Cache {x_cache}" if cached else "")
            + (f"  ({figures['cache_error']})" if "cache_error" in figures else ""),
            flush=True,
        )
    else:
        print(f"{figures['error']}; alone {single} ms", flush=True)
    return figures


class Meter:
    """The CPU time used by a server's groups of processes, and its workers' peak memory.

    `groups` maps a name ("app", "db", "cache") to a function that reads {id: CPU seconds
    so far} for that group. Between start() and used() every group is read every half second
    (tick), keeping each id's latest reading, so a process that ends meanwhile (a PostgreSQL
    backend whose recycled worker closed its connection) loses at most half a second's worth.
    With `master`, tick also records each gunicorn worker's peak resident memory.
    """

    def __init__(self, groups, master=None):
        self.groups = groups
        self.master = master
        self.peaks = {}  # worker id -> peak resident MB
        self.before = self.seen = None

    def read(self):
        return {name: read() for name, read in self.groups.items()}

    def idle_total(self):
        """The CPU seconds used so far by the app and the database (not the shared cache)."""
        return sum(
            sum(read().values()) for name, read in self.groups.items() if name in ("app", "db")
        )

    def start(self):
        self.before = self.read()
        self.seen = {name: dict(values) for name, values in self.before.items()}

    def tick(self):
        if self.seen is not None:
            for name, values in self.read().items():
                self.seen[name].update(values)
        if self.master:
            for worker in workers_memory(self.master):
                self.peaks[worker["pid"]] = max(
                    self.peaks.get(worker["pid"], 0), worker["peak_rss_mb"]
                )

    def used(self):
        """{group: CPU seconds} from start() to now."""
        self.tick()
        used = {
            name: sum(seconds - self.before[name].get(key, 0.0) for key, seconds in seen.items())
            for name, seen in self.seen.items()
        }
        self.before = self.seen = None
        return used


def gunicorn_meter(master, watcher):
    return Meter(
        {
            "app": lambda: gunicorn_cpu(master),
            "db": lambda: cpu_times(backends(watcher)),
            "cache": redis_cpu,
        },
        master=master,
    )


def wait_idle(meter, *, limit=120):
    """Wait (at most `limit` seconds) until the server's processes use next to no CPU."""
    deadline = time.monotonic() + limit
    previous = None
    while time.monotonic() < deadline:
        now = meter.idle_total()
        if previous is not None and now - previous < 0.02:  # under 4% of a core
            return
        previous = now
        time.sleep(0.5)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """/proc/pid/stat's fields after the command name (which may hold spaces), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_times(pids):
    """{pid: seconds of CPU (user and system) used so far} for the processes still there."""
    times = {}
    for pid in pids:
        fields = stat_fields(pid)
        if fields:
            times[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return times


def gunicorn_cpu(master):
    """{"gunicorn": CPU seconds} of the master, its live workers and the workers it has
    reaped (a worker recycled after max_requests leaves its time in the master's cutime and
    cstime), so the total is exact however often workers are replaced."""
    fields = stat_fields(master)
    total = sum(int(value) for value in fields[11:15]) / CLOCK_TICKS if fields else 0.0
    return {"gunicorn": total + sum(cpu_times(children(master)).values())}


def redis_cpu():
    """{"redis": CPU seconds} of the Redis server (shared: others' use of it counts too)."""
    info = redis_client().info("cpu")
    return {"redis": info["used_cpu_user"] + info["used_cpu_sys"]}


def children(parent):
    """The ids of the processes whose parent is `parent` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(entry.name)
            if fields and fields[1] == str(parent):
                found.append(int(entry.name))
    return found


def one_at_a_time(port, path, *, times=3):
    """The median time of `times` requests made one after another: the latency with no
    queue, to which the concurrent figures add the waiting."""
    timings = []
    for _ in range(times):
        moment = time.monotonic()
        status_of(port, path)
        timings.append(1000 * (time.monotonic() - moment))
        if timings[-1] > 20_000:
            break  # slow enough to say so; don't spend minutes on it
    return round(sorted(timings)[len(timings) // 2], 1)


def load_average():
    """The machine's load average over the last minute."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def ratios(figures, floor_figures):
    """A page against the floor: its share of the floor's throughput, its p95 as a multiple."""
    if "rps" not in figures or "rps" not in floor_figures:
        return {}
    return {
        "share_of_floor_rps": round(figures["rps"] / max(floor_figures["rps"], 0.01), 3),
        "p95_x_floor": round(figures["p95_ms"] / max(floor_figures["p95_ms"], 0.1), 1),
    }


def backends(connection):
    """The ids of the PostgreSQL processes serving the `bench` database, but `connection`'s."""
    rows = connection.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend'",
        [DATABASE],
    )
    return [pid for (pid,) in rows]


def workers_memory(master, *, proportional=False):
    """Resident memory (now and peak) of each gunicorn worker; with `proportional`, its
    proportional share too (PSS: pages shared with the master and the other workers, as the
    preloaded application's are, divided among them)."""
    workers = []
    for pid in sorted(children(master)):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(re.findall(r"^(\w+):\s+(.*)$", status, re.MULTILINE))
        if "VmRSS" not in fields:  # ended meanwhile
            continue
        worker = {
            "pid": pid,
            "rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
            "peak_rss_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
        }
        if proportional:
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                pss = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
                if pss:
                    worker["pss_mb"] = round(int(pss.group(1)) / 1024, 1)
            except OSError:
                pass
        workers.append(worker)
    return workers


def server_summary(meter, log):
    """The workers' peak memory over the whole pass, and what the server logged; the log
    file is deleted after (a long run writes hundreds of thousands of request lines)."""
    summary = {
        "peak_rss_mb": max(meter.peaks.values(), default=None),
        "worker_processes_seen": len(meter.peaks),
        "log": server_log(log),
    }
    log.unlink(missing_ok=True)
    return summary


def server_log(path):
    """What the server logged: its request lines by status and X-Cache, the workers it
    started, and the first few warnings and errors (anything else at WARNING or above, and
    any line that is not JSON)."""
    statuses, caches = Counter(), Counter()
    booted = problems = 0
    first = []
    try:
        size = path.stat().st_size
        log = path.open(errors="replace")
    except OSError as error:
        return {"error": str(error)}
    with log:
        for line in log:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                if line.strip():
                    problems += 1
                    if len(first) < 5:
                        first.append(line.strip()[:300])
                continue
            message = str(record.get("message", ""))
            if record.get("logger") == "cuspe_portal.requests":
                statuses[str(record.get("status"))] += 1
                caches[record.get("cache") or "none"] += 1
            elif record.get("level") in ("WARNING", "ERROR", "CRITICAL"):
                problems += 1
                if len(first) < 5:
                    detail = str(record.get("exc_info", "")).strip().splitlines()[-1:]
                    first.append(
                        f"{record['level']} {record.get('logger')}: {message}"
                        + (f" ({detail[0]})" if detail else "")
                    )
            elif message.startswith("Booting worker"):
                booted += 1
    return {
        "mb": round(size / 1024 / 1024, 1),
        "request_lines": sum(statuses.values()),
        "statuses": dict(statuses),
        "x_cache": dict(caches),
        "workers_started": booted,
        "problems": problems,
        "first_problems": first,
    }


def sqlite_export(path):
    """The published recommendations, as Datasette would publish them: one table, an FTS index.

    The columns are what the portal's list filters on and shows; `area`, `report` and each
    theme are slugs, as in the portal's addresses. Like the portal's table on PostgreSQL, only
    the area is indexed (the portal has an index on its area foreign key, none on status).
    """
    with psycopg.connect(f"{POSTGRES}/{DATABASE}") as connection:
        rows = connection.execute(
            """
            SELECT r.id, r.reference, a.slug, r.status, r.priority, r.horizon, p.slug,
                   r.title, r.summary, r.rationale, r.published_at::text,
                   COALESCE((SELECT json_agg(t.slug ORDER BY t.position, t.id)
                             FROM recommendations_recommendation_themes rt
                             JOIN areas_theme t ON t.id = rt.theme_id
                             WHERE rt.recommendation_id = r.id), '[]'::json)::text
            FROM recommendations_recommendation r
            JOIN areas_area a ON a.id = r.area_id
            JOIN recommendations_report p ON p.id = r.report_id
            WHERE r.publication_state = 'published' AND r.published_at <= now()
            ORDER BY a.position, r.number
            """
        ).fetchall()
    database = sqlite3.connect(path)
    with database:
        database.executescript(
            """
            CREATE TABLE recommendations (
                id INTEGER PRIMARY KEY, reference TEXT, area TEXT, status TEXT, priority TEXT,
                horizon TEXT, report TEXT, title TEXT, summary TEXT, rationale TEXT,
                published_at TEXT, themes TEXT
            );
            CREATE INDEX recommendations_area ON recommendations (area);
            CREATE VIRTUAL TABLE recommendations_fts USING fts5(
                reference, title, summary, rationale,
                content='recommendations', content_rowid='id', tokenize='porter unicode61'
            );
            """
        )
        database.executemany(f"INSERT INTO recommendations VALUES ({', '.join('?' * 12)})", rows)
        database.execute("INSERT INTO recommendations_fts(recommendations_fts) VALUES ('rebuild')")
    database.execute("ANALYZE")
    database.close()
    return len(rows)


def datasette_compare(measured, options, work):
    path = work / "bench.db"
    path.unlink(missing_ok=True)
    exported = sqlite_export(path)
    metadata = work / "metadata.json"
    metadata.write_text(json.dumps(DATASETTE_METADATA))
    port = free_port()
    settings = [
        part for name, value in DATASETTE_SETTINGS.items() for part in ("--setting", name, value)
    ]
    # -i: immutable, as Datasette recommends for published data (what `datasette publish` does).
    command = [
        str(VENV_BIN / "datasette"), "serve", "-i", str(path), "-m", str(metadata),
        "-h", HOST, "-p", str(port), *settings,
    ]  # fmt: skip
    compared = {"exported_rows": exported, "requests": []}
    print(" Datasette:", flush=True)
    log = work / "datasette.log"
    with server(command, os.environ.copy(), log, "/-/versions.json", port) as process:
        meter = Meter({"app": lambda: cpu_times([process.pid])})
        for label, key, path_ in COMPARISONS:
            theirs = page_run(port, path_, options, label, meter)
            # The fair comparison is with the portal uncached (Datasette keeps no answers);
            # the cached portal is what a reader of the deployed portal mostly gets.
            entry = {
                "label": label,
                "portal": measured["pages"][key],
                "portal_cached": measured["cached_pages"][key],
                "datasette": theirs,
            }
            for prefix, ours in (("portal", entry["portal"]), ("cached", entry["portal_cached"])):
                if "rps" in ours and "rps" in theirs:
                    entry[f"{prefix}_rps_x_datasette"] = round(
                        ours["rps"] / max(theirs["rps"], 0.01), 2
                    )
                    entry[f"{prefix}_p95_x_datasette"] = round(
                        ours["p95_ms"] / max(theirs["p95_ms"], 0.1), 2
                    )
                    entry[f"{prefix}_cpu_x_datasette"] = round(
                        ours["cpu_ms"] / max(theirs["cpu_ms"], 0.01), 2
                    )
            compared["requests"].append(entry)
    return compared


def load_run(size, options, environment, work, prefix):
    """Every page in turn at many connections, against the production configuration (the
    page cache on, starting empty as after a deploy or a content change): it must finish with
    no error and no 5xx."""
    print(
        f" Load run: {options.load_connections} connections, {options.load} s, page cache on",
        flush=True,
    )
    with psycopg.connect(f"{POSTGRES}/{DATABASE}") as connection:
        reference = detail_reference(connection)
    paths = [path.format(reference=reference) for _key, _label, path in PAGES]
    with gunicorn(
        options, environment, work, name=f"{size}-load", cached=True, cache_prefix=prefix
    ) as (port, master, log):
        meter = Meter({}, master=master)
        figures = wrk(
            port, paths[0], connections=options.load_connections, duration=options.load,
            threads=2, paths=paths, tick=meter.tick,
        )  # fmt: skip
        figures["workers"] = workers_memory(master, proportional=True)
    figures.update(size=size, paths=paths, server=server_summary(meter, log))
    server_errors = sum(
        count for status, count in figures.get("statuses", {}).items() if int(status) >= 500
    )
    figures["passed"] = "error" not in figures and not figures.get("errors") and not server_errors
    print(
        f"    {figures.get('rps')} req/s, p95 {figures.get('p95_ms')} ms, "
        f"statuses {figures.get('statuses')}, X-Cache {figures.get('x_cache')}, "
        f"errors {figures.get('errors') or 'none'}",
        flush=True,
    )
    return figures


def growth(results, sizes, pages_key):
    """Each page's cost at the largest size as a multiple of its cost at the smallest, in the
    pass whose pages are under `pages_key`."""
    if len(sizes) < 2:
        return {}
    small, large = results["sizes"][str(sizes[0])], results["sizes"][str(sizes[-1])]
    grown = {}
    for key, figures in small[pages_key].items():
        other = large[pages_key].get(key, {})
        entry = {"label": figures["label"], "from": sizes[0], "to": sizes[-1]}
        if "single_ms" in figures and "single_ms" in other:
            # One request alone: still there when the loaded run got no answer in time.
            entry["alone_x"] = round(other["single_ms"] / max(figures["single_ms"], 0.1), 2)
        if "rps" in figures and "rps" in other:
            entry.update(
                # CPU time per request (gunicorn, PostgreSQL, Redis): barely moved by other load.
                cpu_x=round(other["cpu_ms"] / max(figures["cpu_ms"], 0.01), 2),
                # Time per request at a fixed concurrency: the inverse of throughput.
                cost_x=round(figures["rps"] / max(other["rps"], 0.01), 2),
                p50_x=round(other["p50_ms"] / max(figures["p50_ms"], 0.1), 2),
                p95_x=round(other["p95_ms"] / max(figures["p95_ms"], 0.1), 2),
            )
        if len(entry) > 3:
            grown[key] = entry
    return grown


def checks(results, sizes):
    """The issue's targets that this run can judge: (target, met or not, the figures)."""
    found = []
    largest = sizes[-1]

    def page(size, key, pages_key):
        return results["sizes"].get(str(size), {}).get(pages_key, {}).get(key, {})

    # Cached anonymous pages: at least half the floor's throughput, the floor of the same pass.
    for key in CACHED_TARGET_PAGES:
        figures = page(largest, key, "cached_pages")
        if not figures:
            continue
        if "share_of_floor_rps" in figures:
            met = figures["share_of_floor_rps"] >= SHARE_OF_FLOOR and "cache_error" not in figures
            text = f"{figures['share_of_floor_rps']:.0%} of the floor at {largest:,}"
        else:
            met, text = False, f"{figures.get('error')} at {largest:,}"
        if "cache_error" in figures:
            text += f"; {figures['cache_error']}"
        found.append(
            (f"Cached: {figures['label']} at least half the floor's throughput", met, text)
        )
    # Uncached list, recommendation and API: p95 under 100 ms at 10,000 with 8 clients.
    clients = results["settings"]["connections"]
    if 10_000 in sizes:
        for key in ("list", "detail", "api"):
            figures = page(10_000, key, "pages")
            if not figures:
                continue
            if "p95_ms" in figures:
                met, text = figures["p95_ms"] < P95_LIMIT_MS, f"p95 {figures['p95_ms']} ms"
            else:
                met, text = False, f"{figures.get('error')}; alone {figures.get('single_ms')} ms"
            if clients != P95_CLIENTS:
                met, text = None, f"{text} with {clients} clients"
            found.append(
                (
                    f"Uncached: {figures['label']} p95 under {P95_LIMIT_MS} ms at 10,000 "
                    f"({P95_CLIENTS} clients)",
                    met,
                    text,
                )
            )
    # Search: p95 under 100 ms at 100,000, uncached and cached.
    for name, pages_key, _workers_key, _cached in PASSES:
        search = page(largest, "search", pages_key)
        if not search:
            continue
        where = (
            "at 100,000" if largest == 100_000 else f"(measured at {largest:,} only: run --full)"
        )
        if "p95_ms" in search:
            met, text = search["p95_ms"] < P95_LIMIT_MS, f"p95 {search['p95_ms']} ms"
        else:
            met, text = False, f"{search.get('error')}; alone {search.get('single_ms')} ms"
        if "cache_error" in search:
            met, text = False, f"{text}; {search['cache_error']}"
        found.append(
            (
                f"{name.capitalize()}: search p95 under {P95_LIMIT_MS} ms {where}",
                met if largest == 100_000 else None,
                f"{text} at {largest:,}",
            )
        )
    # Cost flat from 1,000 to 100,000: CPU per request, uncached and cached.
    for name, growth_key in (("uncached", "growth"), ("cached", "cached_growth")):
        for key, grown in results.get(growth_key, {}).items():
            if key == "floor":
                continue
            complete = grown["from"] == 1_000 and grown["to"] == 100_000
            if "cpu_x" in grown:
                measure, text = (
                    "cpu_x",
                    f"CPU per request {grown['cpu_x']}x, time per request {grown['cost_x']}x",
                )
            else:  # no answer in time under load: one request alone is what there is
                measure, text = "alone_x", f"one request alone {grown['alone_x']}x"
            found.append(
                (
                    f"{name.capitalize()}: {grown['label']} cost flat from 1,000 to 100,000 "
                    f"(at most {GROWTH_LIMIT}x)",
                    grown[measure] <= GROWTH_LIMIT if complete else None,
                    f"{text}, from {grown['from']:,} to {grown['to']:,}",
                )
            )
    # Ahead of Datasette: the portal uncached (the fair comparison), and cached.
    for size in sizes:
        for entry in results["sizes"][str(size)].get("datasette", {}).get("requests", []):
            for name, prefix, ours in (
                ("uncached", "portal", entry["portal"]),
                ("cached", "cached", entry["portal_cached"]),
            ):
                target = f"{name.capitalize()}: ahead of Datasette at {size:,}, {entry['label']}"
                if f"{prefix}_rps_x_datasette" in entry:
                    found.append(
                        (
                            target,
                            entry[f"{prefix}_rps_x_datasette"] > 1,
                            f"{entry[f'{prefix}_rps_x_datasette']}x Datasette's throughput; "
                            f"{entry[f'{prefix}_cpu_x_datasette']}x its CPU per request",
                        )
                    )
                elif "rps" in entry["datasette"]:
                    found.append(
                        (
                            target,
                            False,
                            f"the portal: {ours.get('error')}; Datasette: "
                            f"{entry['datasette']['rps']} req/s",
                        )
                    )
    # Each worker under 150 MB resident: the peak of any worker seen, in each pass.
    peaks = {}
    for name, _pages_key, _workers_key, _cached in PASSES:
        values = [
            measured["servers"][name]["peak_rss_mb"]
            for measured in results["sizes"].values()
            if measured["servers"][name].get("peak_rss_mb") is not None
        ]
        if values:
            peaks[name] = max(values)
    load_peak = results.get("load_run", {}).get("server", {}).get("peak_rss_mb")
    if load_peak is not None:
        peaks["load run"] = load_peak
    if peaks:
        found.append(
            (
                f"Each worker under {WORKER_MEMORY_LIMIT_MB} MB resident",
                max(peaks.values()) < WORKER_MEMORY_LIMIT_MB,
                "peak " + ", ".join(f"{value} MB {name}" for name, value in peaks.items()),
            )
        )
    if "load_run" in results:
        run = results["load_run"]
        found.append(
            (
                f"Load run ({results['settings']['load_run']['connections']} connections, "
                f"{results['settings']['load_run']['duration_s']} s, cached): no error, no 5xx",
                run["passed"],
                f"statuses {run.get('statuses')}, errors {run.get('errors') or 'none'}",
            )
        )
    return [{"target": target, "met": met, "figures": figures} for target, met, figures in found]


def machine():
    def first(pattern, path):
        try:
            match = re.search(pattern, Path(path).read_text(), re.MULTILINE)
        except OSError:
            return ""
        return match.group(1).strip() if match else ""

    def version(*command):
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return (
            (run.stdout or run.stderr).strip().splitlines()[0] if (run.stdout or run.stderr) else ""
        )

    with psycopg.connect(f"{POSTGRES}/postgres") as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    memory_kb = first(r"^MemTotal:\s+(\d+)", "/proc/meminfo")
    return {
        "cores": os.cpu_count(),
        "cpu": first(r"^model name\s*:\s*(.*)$", "/proc/cpuinfo"),
        "memory_gb": round(int(memory_kb) / 1024 / 1024, 1) if memory_kb else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "redis": redis_client().info("server")["redis_version"],
        "gunicorn": version(str(VENV_BIN / "gunicorn"), "--version"),
        "datasette": version(str(VENV_BIN / "datasette"), "--version"),
        "wrk": version("wrk", "--version"),
    }


def write(results, folder, name):
    json_path = folder / f"{name}.json"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    markdown_path = folder / f"{name}.md"
    markdown_path.write_text(markdown(results))
    print(f"\nResults: {json_path} and {markdown_path}")
    print(markdown(results))


def cpu_cell(figures):
    parts = [
        str(figures[key]) for key in ("app_cpu_ms", "db_cpu_ms", "cache_cpu_ms") if key in figures
    ]
    return " + ".join(parts)


def errors_note(figures):
    """ " (3 timeout)" and the like, when wrk saw socket errors."""
    errors = figures.get("errors") or {}
    return "".join(f" ({count} {name})" for name, count in errors.items() if name != "status")


def cache_cell(figures):
    """The cached pass's X-Cache column: "hit" when the check and every measured answer were."""
    if "x_cache_check" not in figures:
        return "–"
    if "cache_error" in figures:
        return f"**not hits**: {figures['cache_error']}"
    return f"hit ({figures.get('x_cache', {}).get('hit', 0):,})"


def page_table(pages, cached):
    lines = [
        "| page | path | alone ms | req/s | p50 ms | p95 ms | share of floor's req/s "
        "| p95 × floor's | CPU ms/req: app + db + cache | machine load |"
        + (" X-Cache |" if cached else ""),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---|" if cached else ""),
    ]
    for figures in pages.values():
        load = " → ".join(map(str, figures.get("load_average", [])))
        if "rps" in figures:
            cells = [
                f"{figures['rps']:.0f}",
                str(figures["p50_ms"]),
                f"{figures['p95_ms']}{errors_note(figures)}",
                f"{figures.get('share_of_floor_rps', 0):.0%}",
                str(figures.get("p95_x_floor", "")),
            ]
        else:
            cells = [figures["error"], "", "", "", ""]
        row = [
            figures["label"],
            f"`{figures['path']}`",
            str(figures.get("single_ms", "–")),
            *cells,
            cpu_cell(figures),
            load,
        ]
        if cached:
            row.append(cache_cell(figures))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def memory_line(workers, server):
    now = ", ".join(
        f"{worker['rss_mb']} ({worker['peak_rss_mb']}"
        + (f", {worker['pss_mb']}" if "pss_mb" in worker else "")
        + ")"
        for worker in workers
    )
    return (
        f"Workers' memory, MB resident now (peak, proportional share): {now}. The highest peak "
        f"of the {server['worker_processes_seen']} worker processes seen in the pass (recycled "
        f"ones included): {server['peak_rss_mb']} MB."
    )


def log_line(server):
    log = server["log"]
    if "error" in log:
        return f"Server log: not read ({log['error']})."
    counts = ", ".join(f"{count:,} {name}" for name, count in sorted(log["statuses"].items()))
    caches = ", ".join(f"{count:,} {name}" for name, count in sorted(log["x_cache"].items()))
    problems = (
        "none"
        if not log["problems"]
        else f"**{log['problems']:,}**, the first: "
        + "; ".join(f"`{line}`" for line in log["first_problems"])
    )
    return (
        f"Server log: {log['request_lines']:,} request lines (status {counts or '–'}; "
        f"X-Cache {caches or '–'}), {log['workers_started']} workers started, {log['mb']} MB; "
        f"warnings and errors: {problems}."
    )


def growth_table(grown_pages):
    lines = [
        "| page | from | to | CPU per request × | time per request (1 / req/s) × "
        "| p50 × | p95 × | one request alone × |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for grown in grown_pages.values():
        cells = [grown.get(name, "–") for name in ("cpu_x", "cost_x", "p50_x", "p95_x")]
        lines.append(
            f"| {grown['label']} | {grown['from']:,} | {grown['to']:,} | "
            + " | ".join(map(str, [*cells, grown.get("alone_x", "–")]))
            + " |"
        )
    return lines


def markdown(results):
    settings = results["settings"]
    machine_ = results["machine"]
    threads = settings["gunicorn_threads"]
    lines = [
        f"# Benchmark, {results['started_at']}",
        "",
        f"`{results['command']}`: {settings['connections']} concurrent connections, "
        f"{settings['duration_s']} s per page after {settings['warmup_s']} s of warm-up. "
        f"The portal as deployed: gunicorn from `{settings['gunicorn_config']}` with "
        f"{settings['gunicorn_workers']} workers × {threads} thread{'s' if threads > 1 else ''} "
        f"({settings['gunicorn_worker_class']}; the application preloaded, each worker "
        "replaced after about 50,000 requests), DJANGO_DEBUG=false, plain HTTP on loopback "
        "(DJANGO_HTTPS=false), the request log on (a JSON line a request, written to a file), "
        f"PostgreSQL {machine_['postgresql']}, Redis {machine_.get('redis')} as the cache. "
        "Every page is measured twice, each time on a gunicorn of its own: **uncached** "
        "(PORTAL_PAGE_CACHE_SECONDS=0: every request does the work, as after every content "
        "change) and **cached** (the page cache on, "
        f"{settings['page_cache_seconds']} s, as deployed: after the warm-up every measured "
        "request is answered from Redis). "
        f"Machine: {machine_['cores']} cores ({machine_['cpu']}), {machine_['memory_gb']} GB. "
        f"Took {results.get('elapsed_s')} s.",
        "",
        "How to read the tables: *alone* is the median of 3 requests made one after another, "
        f"after the warm-up; p95 leaves out answers slower than wrk's {WRK_TIMEOUT} s timeout, "
        "counted beside it. Shares and multiples of the floor (/healthz, which the page cache "
        "never keeps) are against the floor of the same pass. CPU ms/req is the CPU time of "
        "the gunicorn master and workers (recycled ones included), of the PostgreSQL backends "
        "serving them and of Redis (shared with anything else that uses it), idle to idle, "
        "per request. *Machine load* is the load average (1 minute) before and after each "
        f"page's run; above {machine_['cores']}, other processes were taking cores from the "
        "run. *X-Cache*: the answer to one request after the warm-up, and the number of "
        "measured answers that were hits.",
    ]
    for size, measured in results["sizes"].items():
        floor_note = measured["floor"]["note"]
        lines += [
            "",
            f"## {int(size):,} recommendations",
            "",
            f"Data: generated in {measured['timings']['generate_s']} s; the recommendation page "
            f"is {measured['detail_reference']}."
            + (f" Floor: {floor_note}." if floor_note else ""),
        ]
        for name, pages_key, workers_key, cached in PASSES:
            server = measured["servers"][name]
            lines += [
                "",
                f"### {name.capitalize()} (page cache {'on' if cached else 'off'})",
                "",
                *page_table(measured[pages_key], cached),
                "",
                memory_line(measured[workers_key], server),
                "",
                log_line(server),
            ]
        datasette = measured.get("datasette")
        if datasette:
            lines += [
                "",
                f"### Datasette on the same {datasette['exported_rows']:,} published rows "
                "(SQLite, FTS5)",
                "",
                "The fair comparison is the portal uncached (Datasette keeps no answers); the "
                "cached portal is what most readers of the deployed portal get.",
                "",
                "| request | Datasette req/s | portal req/s: uncached, cached "
                "| portal ÷ Datasette: uncached, cached | p95 ms: Datasette; portal uncached, "
                "cached | CPU ms/req: Datasette; portal uncached, cached |",
                "|---|---:|---:|---:|---:|---:|",
            ]
            for entry in datasette["requests"]:
                ours, cached_, theirs = entry["portal"], entry["portal_cached"], entry["datasette"]
                lines.append(
                    f"| {entry['label']} | {theirs.get('rps', theirs.get('error'))} | "
                    f"{ours.get('rps', '–')}, {cached_.get('rps', '–')} | "
                    f"{entry.get('portal_rps_x_datasette', '–')}, "
                    f"{entry.get('cached_rps_x_datasette', '–')} | "
                    f"{theirs.get('p95_ms', '–')}; {ours.get('p95_ms', '–')}, "
                    f"{cached_.get('p95_ms', '–')} | "
                    f"{theirs.get('cpu_ms', '–')}; {ours.get('cpu_ms', '–')}, "
                    f"{cached_.get('cpu_ms', '–')} |"
                )
    for name, growth_key in (("uncached", "growth"), ("cached", "cached_growth")):
        if results.get(growth_key):
            lines += [
                "",
                f"## Growth from the smallest size to the largest, {name}",
                "",
                *growth_table(results[growth_key]),
            ]
    if results.get("load_run"):
        run = results["load_run"]
        server = run["server"]
        answers = ", ".join(
            f"{count:,} {value}" for value, count in sorted((run.get("x_cache") or {}).items())
        )
        lines += [
            "",
            f"## Load run at {run['size']:,}, page cache on",
            "",
            f"{settings['load_run']['connections']} connections for "
            f"{settings['load_run']['duration_s']} s over every page in turn, against the "
            "production configuration, its cache empty at the start (as after a deploy or a "
            f"content change): {run.get('requests')} requests, {run.get('rps')} req/s, p50 "
            f"{run.get('p50_ms')} ms, p95 {run.get('p95_ms')} ms, p99 {run.get('p99_ms')} ms, max "
            f"{run.get('max_ms')} ms; statuses {run.get('statuses')}; X-Cache {answers or '–'}; "
            f"socket errors {run.get('errors') or 'none'}.",
            "",
            memory_line(run.get("workers", []), server),
            "",
            log_line(server),
        ]
    lines += ["", "## The issue's targets", "", "| target | met | figures |", "|---|---|---|"]
    for check in results["checks"]:
        met = {True: "yes", False: "**no**", None: "not judged"}[check["met"]]
        lines.append(f"| {check['target']} | {met} | {check['figures']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

"""Benchmark the portal as production runs it, and Datasette on the same data.

For each size (1,000 and 10,000 recommendations; 100,000 too with --full) this script:

1. drops and creates the PostgreSQL database `bench`, migrates it, loads the real seed
   (`load_content`) and generates the recommendations (`generate_data`), then VACUUM ANALYZE;
2. starts gunicorn on 127.0.0.1 with DJANGO_DEBUG=false and measures, with wrk and a fixed
   number of concurrent connections for a fixed time, the floor (/healthz, or /robots.txt
   while /healthz does not exist) and each page of the issue's list;
3. exports the published recommendations to SQLite with a full-text index, serves them with
   Datasette (facets and search) and measures the equivalent requests;
4. reads each gunicorn worker's resident memory.

At the largest size it then runs the load test (64 connections for 60 seconds over every
page) and writes the results, with each page as a ratio to the floor of the same run and its
growth from the smallest size to the largest, as JSON and Markdown under bench/results/.

Only 127.0.0.1 is ever contacted. Every wait is bounded in time, every load run in duration,
and the servers this script starts are stopped by their process id when it ends.
Run it with the project's virtualenv: `.venv/bin/python bench/run.py` (see bench/README.md).
"""

import argparse
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
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WRK_SCRIPT = BENCH / "wrk.lua"
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", f"postgresql://postgres@{HOST}:5432")
DATABASE = "bench"
QUICK_SIZES = [1_000, 10_000]
FULL_SIZES = [1_000, 10_000, 100_000]
REPORT_SLUG = "generated-benchmark-data"  # recommendations/management/commands/generate_data
WORKER_MEMORY_LIMIT_MB = 150
WRK_TIMEOUT = 30  # seconds; a slower answer counts as a timeout, and its latency is lost
P95_LIMIT_MS = 100
GROWTH_LIMIT = 1.5

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
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    environment = server_environment(work)
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
            "gunicorn_workers": options.workers,
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
            results["sizes"][str(size)] = measure_size(size, options, environment, work)
            if size == sizes[-1] and options.load:
                results["load_run"] = load_run(size, options, environment, work)
            partial.write_text(json.dumps(results, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["growth"] = growth(results, sizes)
    results["checks"] = checks(results, sizes)
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    write(results, options.out, name)
    partial.unlink(missing_ok=True)


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
        help="gunicorn workers (default 2 x cores + 1, gunicorn's own advice)",
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
        results["growth"] = growth(results, results["settings"]["sizes"])
        results["checks"] = checks(results, results["settings"]["sizes"])
        print(markdown(results), end="")
        sys.exit()
    if options.duration > 120 or options.load > 600 or options.warmup > 30:
        parser.error("keep runs bounded: --duration at most 120, --load 600, --warmup 30")
    return options


def server_environment(work):
    """The portal's settings for the benchmark: production mode on the `bench` database."""
    environment = dict(os.environ)
    environment.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=f"{POSTGRES}/{DATABASE}",
        DJANGO_STATIC_ROOT=str(work / "static"),
        # The anonymous API throttle (120 a minute per address) would answer 429 to a load
        # generator on one address: the benchmark measures the work, not the limit.
        API_ANON_THROTTLE_RATE="",
        # Each worker keeps its PostgreSQL connection through a size's runs, so the backend's
        # CPU time can be read before and after (a backend that closes takes it with it).
        DATABASE_CONN_MAX_AGE="900",
        DJANGO_LOG_LEVEL="WARNING",
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


def measure_size(size, options, environment, work):
    """Fresh database with `size` recommendations; the portal's pages, Datasette's, memory."""
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
    measured = {"timings": timings, "detail_reference": reference}
    with (
        gunicorn(options, environment, work) as (port, master),
        psycopg.connect(f"{POSTGRES}/{DATABASE}", autocommit=True) as watcher,
    ):
        processes = {"app": lambda: children(master), "db": lambda: backends(watcher)}
        floor_path, floor_note = floor(port)
        measured["floor"] = {"path": floor_path, "note": floor_note}
        measured["pages"] = {"floor": page_run(port, floor_path, options, "Floor", processes)}
        for key, label, path in PAGES:
            measured["pages"][key] = page_run(
                port, path.format(reference=reference), options, label, processes
            )
        floor_figures = measured["pages"]["floor"]
        for figures in measured["pages"].values():
            figures.update(ratios(figures, floor_figures))
        measured["workers"] = workers_memory(master)
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
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def gunicorn(options, environment, work):
    port = free_port()
    command = [
        str(VENV_BIN / "gunicorn"), "cuspe_portal.wsgi:application",
        "--bind", f"{HOST}:{port}", "--workers", str(options.workers),
        "--log-level", "warning", "--timeout", "60",
    ]  # fmt: skip
    with server(command, environment, work / "gunicorn.log", "/robots.txt", port) as process:
        yield port, process.pid


def status_of(port, path):
    """The HTTP status of GET path, or None if nothing answers."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def floor(port):
    if status_of(port, "/healthz") == 200:
        return "/healthz", ""
    return (
        "/robots.txt",
        "/healthz does not exist yet: /robots.txt (a template, no query) is the floor",
    )


def wrk(port, path, *, connections, duration, threads=1, paths=()):
    """One bounded wrk run; its figures, or an error."""
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", f"{WRK_TIMEOUT}s",
        "-s", str(WRK_SCRIPT), f"http://{HOST}:{port}{path}", "--", *paths,
    ]  # fmt: skip
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + WRK_TIMEOUT + 30
    )
    line = next((line for line in run.stdout.splitlines() if line.startswith("BENCH_JSON ")), None)
    if line is None:
        return {"error": f"wrk gave no figures: {run.stdout}{run.stderr}"[:500]}
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
    }


def page_run(port, path, options, label, processes):
    """Warm up, then measure one page; `processes` names the server's processes, whose CPU
    time per request is counted too (a measure other load on the machine barely moves)."""
    status = status_of(port, path)
    print(f"  {label:<24} {path}: ", end="", flush=True)
    if status != 200:
        print(f"answered {status}, not measured", flush=True)
        return {"label": label, "path": path, "error": f"answered {status}"}
    # wrk stops with a request outstanding on every connection, and the server still answers
    # them: each step starts once the server has finished what the previous one left.
    wait_idle(processes)
    if options.warmup:  # every worker has served the page once: no cold start below
        wrk(port, path, connections=options.connections, duration=options.warmup)
        wait_idle(processes)
    single = one_at_a_time(port, path)
    load_before = load_average()
    cpu_before = {name: cpu_times(pids()) for name, pids in processes.items()}
    figures = wrk(port, path, connections=options.connections, duration=options.duration)
    load_after = load_average()
    wait_idle(processes)
    cpu_after = {name: cpu_times(pids()) for name, pids in processes.items()}
    # Other processes on the machine take cores from the run: the load shows how much.
    figures.update(label=label, path=path, single_ms=single, load_average=[load_before, load_after])
    if "requests" in figures:
        # Served from idle to idle: what wrk counted, and the one left on each connection.
        served = figures["requests"] + options.connections
        for name in processes:
            used = sum(
                seconds - cpu_before[name].get(pid, 0.0) for pid, seconds in cpu_after[name].items()
            )
            figures[f"{name}_cpu_ms"] = round(1000 * used / served, 2)
        figures["cpu_ms"] = round(sum(figures[f"{name}_cpu_ms"] for name in processes), 2)
    if "error" not in figures:
        print(
            f"{figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.1f} ms  "
            f"p95 {figures['p95_ms']:7.1f} ms  CPU {figures['cpu_ms']:6.1f} ms/req",
            flush=True,
        )
    else:
        print(f"{figures['error']}; alone {single} ms", flush=True)
    return figures


def wait_idle(processes, *, limit=120):
    """Wait (at most `limit` seconds) until the server's processes use next to no CPU."""
    deadline = time.monotonic() + limit
    previous = None
    while time.monotonic() < deadline:
        now = sum(sum(cpu_times(pids()).values()) for pids in processes.values())
        if previous is not None and now - previous < 0.02:  # under 4% of a core
            return
        previous = now
        time.sleep(0.5)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_times(pids):
    """{pid: seconds of CPU (user and system) used so far} for the processes still there."""
    times = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        times[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return times


def children(parent):
    """The ids of the processes whose parent is `parent` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == str(parent):
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


def workers_memory(master):
    """Resident memory (now and peak) of each gunicorn worker, after the pages were served."""
    workers = []
    for pid in sorted(children(master)):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(re.findall(r"^(\w+):\s+(.*)$", status, re.MULTILINE))
        workers.append(
            {
                "pid": pid,
                "rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
                "peak_rss_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
            }
        )
    return workers


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
    print("  Datasette:", flush=True)
    log = work / "datasette.log"
    with server(command, os.environ.copy(), log, "/-/versions.json", port) as process:
        for label, key, path_ in COMPARISONS:
            theirs = page_run(port, path_, options, label, {"app": lambda: [process.pid]})
            ours = measured["pages"][key]
            entry = {"label": label, "portal": ours, "datasette": theirs}
            if "rps" in ours and "rps" in theirs:
                entry["portal_rps_x_datasette"] = round(ours["rps"] / max(theirs["rps"], 0.01), 2)
                entry["portal_p95_x_datasette"] = round(
                    ours["p95_ms"] / max(theirs["p95_ms"], 0.1), 2
                )
                entry["portal_cpu_x_datasette"] = round(
                    ours["cpu_ms"] / max(theirs["cpu_ms"], 0.01), 2
                )
            compared["requests"].append(entry)
    return compared


def load_run(size, options, environment, work):
    """Every page in turn at many connections: it must finish with no error and no 5xx."""
    print(f"  Load run: {options.load_connections} connections, {options.load} s", flush=True)
    with psycopg.connect(f"{POSTGRES}/{DATABASE}") as connection:
        reference = detail_reference(connection)
    paths = [path.format(reference=reference) for _key, _label, path in PAGES]
    with gunicorn(options, environment, work) as (port, _master):
        figures = wrk(
            port, paths[0], connections=options.load_connections, duration=options.load,
            threads=2, paths=paths,
        )  # fmt: skip
    figures.update(size=size, paths=paths)
    server_errors = sum(
        count for status, count in figures.get("statuses", {}).items() if int(status) >= 500
    )
    figures["passed"] = "error" not in figures and not figures.get("errors") and not server_errors
    print(
        f"    {figures.get('rps')} req/s, p95 {figures.get('p95_ms')} ms, "
        f"statuses {figures.get('statuses')}, errors {figures.get('errors') or 'none'}",
        flush=True,
    )
    return figures


def growth(results, sizes):
    """Each page's cost at the largest size as a multiple of its cost at the smallest."""
    if len(sizes) < 2:
        return {}
    small, large = results["sizes"][str(sizes[0])], results["sizes"][str(sizes[-1])]
    grown = {}
    for key, figures in small["pages"].items():
        other = large["pages"].get(key, {})
        entry = {"label": figures["label"], "from": sizes[0], "to": sizes[-1]}
        if "single_ms" in figures and "single_ms" in other:
            # One request alone: still there when the loaded run got no answer in time.
            entry["alone_x"] = round(other["single_ms"] / max(figures["single_ms"], 0.1), 2)
        if "rps" in figures and "rps" in other:
            entry.update(
                # CPU time per request (gunicorn and PostgreSQL): barely moved by other load.
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

    def page(size, key):
        return results["sizes"].get(str(size), {}).get("pages", {}).get(key, {})

    if 10_000 in sizes:
        for key in ("list", "detail", "api"):
            figures = page(10_000, key)
            if "p95_ms" in figures:
                found.append(
                    (
                        f"{figures['label']}: p95 under {P95_LIMIT_MS} ms at 10,000 "
                        "(8 clients, no cache)",
                        figures["p95_ms"] < P95_LIMIT_MS,
                        f"p95 {figures['p95_ms']} ms",
                    )
                )
    largest = sizes[-1]
    search = page(largest, "search")
    if search:
        where = (
            "at 100,000" if largest == 100_000 else f"(measured at {largest:,} only: run --full)"
        )
        if "p95_ms" in search:
            met, figures = search["p95_ms"] < P95_LIMIT_MS, f"p95 {search['p95_ms']} ms"
        else:
            met, figures = False, f"{search.get('error')}; alone {search.get('single_ms')} ms"
        found.append(
            (
                f"Search: p95 under {P95_LIMIT_MS} ms {where}",
                met if largest == 100_000 else None,
                f"{figures} at {largest:,}",
            )
        )
    home = page(largest, "home")
    if "share_of_floor_rps" in home:
        found.append(
            (
                "Anonymous home page at least half the floor's throughput (cached pages)",
                home["share_of_floor_rps"] >= 0.5,
                f"{home['share_of_floor_rps']:.0%} of the floor at {largest:,} (no cache in place)",
            )
        )
    for key, grown in results.get("growth", {}).items():
        if key == "floor":
            continue
        complete = grown["from"] == 1_000 and grown["to"] == 100_000
        if "cpu_x" in grown:
            measure, figures = (
                "cpu_x",
                (f"CPU per request {grown['cpu_x']}x, time per request {grown['cost_x']}x"),
            )
        else:  # no answer in time under load: one request alone is what there is
            measure, figures = "alone_x", f"one request alone {grown['alone_x']}x"
        found.append(
            (
                f"{grown['label']}: cost flat from 1,000 to 100,000 (at most {GROWTH_LIMIT}x)",
                grown[measure] <= GROWTH_LIMIT if complete else None,
                f"{figures}, from {grown['from']:,} to {grown['to']:,}",
            )
        )
    for size in sizes:
        for entry in results["sizes"][str(size)].get("datasette", {}).get("requests", []):
            label = f"Ahead of Datasette at {size:,}: {entry['label']}"
            if "portal_rps_x_datasette" in entry:
                found.append(
                    (
                        label,
                        entry["portal_rps_x_datasette"] > 1,
                        f"{entry['portal_rps_x_datasette']}x Datasette's throughput; "
                        f"{entry['portal_cpu_x_datasette']}x its CPU per request",
                    )
                )
            elif "rps" in entry["datasette"]:
                found.append(
                    (
                        label,
                        False,
                        f"the portal: {entry['portal'].get('error')}; Datasette: "
                        f"{entry['datasette']['rps']} req/s",
                    )
                )
    peak = max(
        (
            worker["peak_rss_mb"]
            for measured in results["sizes"].values()
            for worker in measured["workers"]
        ),
        default=None,
    )
    if peak is not None:
        found.append(
            (
                f"Each worker under {WORKER_MEMORY_LIMIT_MB} MB resident",
                peak < WORKER_MEMORY_LIMIT_MB,
                f"peak {peak} MB",
            )
        )
    if "load_run" in results:
        run = results["load_run"]
        found.append(
            (
                f"Load run ({results['settings']['load_run']['connections']} connections, "
                f"{results['settings']['load_run']['duration_s']} s): no error, no 5xx",
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
    parts = [str(figures[key]) for key in ("app_cpu_ms", "db_cpu_ms") if key in figures]
    return " + ".join(parts)


def errors_note(figures):
    """ " (3 timeout)" and the like, when wrk saw socket errors."""
    errors = figures.get("errors") or {}
    return "".join(f" ({count} {name})" for name, count in errors.items() if name != "status")


def markdown(results):
    settings = results["settings"]
    lines = [
        f"# Benchmark, {results['started_at']}",
        "",
        f"`{results['command']}`: {settings['connections']} concurrent connections, "
        f"{settings['duration_s']} s per page after {settings['warmup_s']} s of warm-up, "
        f"gunicorn with {settings['gunicorn_workers']} sync workers, DJANGO_DEBUG=false, "
        f"PostgreSQL {results['machine']['postgresql']}, no cache. "
        f"Machine: {results['machine']['cores']} cores ({results['machine']['cpu']}), "
        f"{results['machine']['memory_gb']} GB. Took {results.get('elapsed_s')} s.",
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
            "",
            "| page | path | alone ms | req/s | p50 ms | p95 ms | share of floor's req/s "
            "| p95 × floor's | CPU ms/req: app + db | machine load |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for figures in measured["pages"].values():
            if "rps" in figures:
                lines.append(
                    f"| {figures['label']} | `{figures['path']}` | "
                    f"{figures.get('single_ms', '–')} | "
                    f"{figures['rps']:.0f} | {figures['p50_ms']} | {figures['p95_ms']}"
                    f"{errors_note(figures)} | "
                    f"{figures.get('share_of_floor_rps', 0):.0%} | "
                    f"{figures.get('p95_x_floor', '')} | "
                    f"{cpu_cell(figures)} | "
                    f"{' → '.join(map(str, figures.get('load_average', [])))} |"
                )
            else:
                lines.append(
                    f"| {figures['label']} | `{figures['path']}` | "
                    f"{figures.get('single_ms', '')} | {figures['error']} | | | | | "
                    f"{cpu_cell(figures)} | "
                    f"{' → '.join(map(str, figures.get('load_average', [])))} |"
                )
        workers = ", ".join(
            f"{worker['rss_mb']} ({worker['peak_rss_mb']})" for worker in measured["workers"]
        )
        lines += [
            "",
            "Alone: the median of 3 requests made one after another, after the warm-up. "
            f"p95 leaves out answers slower than wrk's {WRK_TIMEOUT} s timeout, counted beside it.",
            "",
            "Machine load: the load average (1 minute) before and after each page's run; above "
            f"{results['machine']['cores']}, other processes were taking cores from the run.",
            "",
            f"Gunicorn workers' resident memory, MB now (peak): {workers}.",
        ]
        datasette = measured.get("datasette")
        if datasette:
            lines += [
                "",
                f"Datasette on the same {datasette['exported_rows']:,} published rows "
                "(SQLite, FTS5):",
                "",
                "| request | portal req/s | Datasette req/s | portal ÷ Datasette "
                "| portal p95 ms | Datasette p95 ms | CPU ms/req: portal, Datasette |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
            for entry in datasette["requests"]:
                ours, theirs = entry["portal"], entry["datasette"]
                lines.append(
                    f"| {entry['label']} | {ours.get('rps', '–')} | "
                    f"{theirs.get('rps', theirs.get('error'))} | "
                    f"{entry.get('portal_rps_x_datasette', '–')} | {ours.get('p95_ms', '–')} | "
                    f"{theirs.get('p95_ms', '–')} | "
                    f"{ours.get('cpu_ms', '–')}, {theirs.get('cpu_ms', '–')} |"
                )
    if results.get("growth"):
        lines += [
            "",
            "## Growth from the smallest size to the largest",
            "",
            "| page | from | to | CPU per request × | time per request (1 / req/s) × "
            "| p50 × | p95 × | one request alone × |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for grown in results["growth"].values():
            cells = [grown.get(name, "–") for name in ("cpu_x", "cost_x", "p50_x", "p95_x")]
            lines.append(
                f"| {grown['label']} | {grown['from']:,} | {grown['to']:,} | "
                + " | ".join(map(str, [*cells, grown.get("alone_x", "–")]))
                + " |"
            )
    if results.get("load_run"):
        run = results["load_run"]
        lines += [
            "",
            f"## Load run at {run['size']:,}",
            "",
            f"{settings['load_run']['connections']} connections for "
            f"{settings['load_run']['duration_s']} s over "
            f"every page in turn: {run.get('requests')} requests, {run.get('rps')} req/s, p50 "
            f"{run.get('p50_ms')} ms, p95 {run.get('p95_ms')} ms, p99 {run.get('p99_ms')} ms, max "
            f"{run.get('max_ms')} ms; statuses {run.get('statuses')}; socket errors "
            f"{run.get('errors') or 'none'}.",
        ]
    lines += ["", "## The issue's targets", "", "| target | met | figures |", "|---|---|---|"]
    for check in results["checks"]:
        met = {True: "yes", False: "**no**", None: "not judged"}[check["met"]]
        lines.append(f"| {check['target']} | {met} | {check['figures']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

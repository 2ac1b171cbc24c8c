"""`make bench`: every page measured against the limit, a static file from the same server.

Starts the production set-up (bench/server.py), warms it up, then measures with wrk, one
after another in the same run: a static file served by the same gunicorn and WhiteNoise
(the limit), `/`, `/blog/`, the article, `/consult/` and a booking POST. Each gets
requests per second, p50 and p99 latency, and its throughput as a share of the static
file's. A shared machine makes absolute figures noisy; the shares, measured minutes
apart, hold much better. Writes bench/results.json and prints a Markdown table.

    make bench                          # 10 s per endpoint, 2 threads, 16 connections
    .venv/bin/python bench/run.py --duration 3   # a quick look
"""

import argparse
import http.cookiejar
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import ROOT, in_private_database, production_server, static_path

BENCH_DIR = ROOT / "bench"
RESULTS = BENCH_DIR / "results.json"
ARTICLE = "/blog/when-closeness-feels-unsafe/"
# Browsers ask for compressed responses; so does the bench, for every GET.
GET_HEADERS = ["-H", "Accept-Encoding: gzip"]

# /consult/ is rendered for each visitor: its latency is reported, with no share to aim at.
AIMS = {"/": 0.5, ARTICLE: 0.5}
P99_OVER_P50_AIM = 4


def check_wrk():
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed. On Debian or Ubuntu: sudo apt-get install wrk")


def wrk(url, *, duration, threads, connections, script, extra=(), env=None):
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=10s",
        f"--script={script}",
        *extra,
        url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}
    ).stdout
    match = re.search(r"^BENCH (\{.*\})$", output, re.MULTILINE)
    if not match:
        sys.exit(f"bench: could not read wrk's output:\n{output}")
    return json.loads(match.group(1))


def booking_form_env(base_url):
    """What a visitor's browser holds after opening /consult/: the CSRF cookie and token,
    and the signed time the form was shown (older than CONSULT_MIN_SECONDS by the time
    the measured POSTs start, after the warm-up)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base_url}/consult/") as response:
        html = response.read().decode()
    cookie = next(c.value for c in jar if c.name == "csrftoken")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    shown_at = re.search(r'name="shown_at" value="([^"]+)"', html).group(1)
    return {
        "BENCH_CSRF_COOKIE": cookie,
        "BENCH_CSRF_TOKEN": token,
        "BENCH_SHOWN_AT": shown_at,
        "BENCH_LUA_DIR": str(BENCH_DIR),
    }


def measure_all(base_url, args):
    static = static_path("css/site.css")
    gets = [
        ("static file (site.css, WhiteNoise)", static),
        ("home", "/"),
        ("articles", "/blog/"),
        ("the article", ARTICLE),
        ("book a consult", "/consult/"),
    ]
    report = str(BENCH_DIR / "report.lua")
    post = str(BENCH_DIR / "post.lua")
    form_env = booking_form_env(base_url)
    settings = {"threads": args.threads, "connections": args.connections}

    print(f"bench: warming up ({args.warmup} s each)", flush=True)
    for _, path in gets:
        wrk(f"{base_url}{path}", duration=args.warmup, script=report, extra=GET_HEADERS, **settings)
    post_env = {**form_env, "BENCH_RUN_ID": str(random.randrange(16**8))}
    wrk(f"{base_url}/consult/", duration=args.warmup, script=post, env=post_env, **settings)

    rows = []
    for name, path in gets:
        print(f"bench: GET {path} for {args.duration} s", flush=True)
        result = wrk(
            f"{base_url}{path}",
            duration=args.duration,
            script=report,
            extra=GET_HEADERS,
            **settings,
        )
        rows.append({"name": name, "method": "GET", "path": path, **result})
    print(f"bench: POST /consult/ for {args.duration} s", flush=True)
    post_env["BENCH_RUN_ID"] = str(random.randrange(16**8))
    result = wrk(
        f"{base_url}/consult/", duration=args.duration, script=post, env=post_env, **settings
    )
    rows.append({"name": "a booking (valid form)", "method": "POST", "path": "/consult/", **result})
    return rows


def summarise(rows):
    limit = rows[0]["requests"] / rows[0]["duration_us"] * 1e6
    for row in rows:
        rps = row["requests"] / row["duration_us"] * 1e6
        row["requests_per_second"] = round(rps, 1)
        row["p50_ms"] = round(row["p50_us"] / 1000, 2)
        row["p99_ms"] = round(row["p99_us"] / 1000, 2)
        row["share_of_static"] = round(rps / limit, 3)
        row["p99_over_p50"] = round(row["p99_us"] / max(row["p50_us"], 1), 2)
        aim = AIMS.get(row["path"]) if row["method"] == "GET" else None
        row["aim_share_of_static"] = aim
        row["meets_aims"] = (aim is None or row["share_of_static"] >= aim) and row[
            "p99_over_p50"
        ] < P99_OVER_P50_AIM
    return rows


def table(rows):
    lines = [
        "| endpoint | req/s | p50 ms | p99 ms | p99/p50 | share of static | aim |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        aim = f"≥ {row['aim_share_of_static']:.0%}" if row["aim_share_of_static"] else "—"
        flag = "" if row["meets_aims"] else " ✗"
        errors = row["non_2xx_3xx"] + row["socket_errors"]
        note = f" ({errors} errors)" if errors else ""
        lines.append(
            f"| {row['method']} {row['path']} ({row['name']}){note} "
            f"| {row['requests_per_second']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['p99_over_p50']:.1f} | {row['share_of_static']:.0%} | {aim}{flag} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    check_wrk()
    in_private_database()
    with production_server() as base_url:
        rows = summarise(measure_all(base_url, args))
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": {
            "server": "gunicorn (Procfile web line), 2 workers, production settings",
            "tool": "wrk",
            "duration_s": args.duration,
            "threads": args.threads,
            "connections": args.connections,
            "get_headers": "Accept-Encoding: gzip",
        },
        "aims": {
            "share_of_static": AIMS,
            "p99_over_p50_below": P99_OVER_P50_AIM,
        },
        "results": rows,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(rows))
    print(f"\nbench: wrote {RESULTS.relative_to(ROOT)}")
    failed = [row for row in rows if row["non_2xx_3xx"] or row["socket_errors"]]
    if failed:
        sys.exit(f"bench: errors while measuring {[row['path'] for row in failed]}")


if __name__ == "__main__":
    main()

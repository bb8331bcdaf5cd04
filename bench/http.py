"""HTTP benchmark: `kinwell serve` with 1 and 2 page workers, a bare health endpoint and
the signed-in home page, at 64 connections on loopback.

    .venv/bin/python bench/http.py [--seconds 10] [--connections 64]

Uses wrk when installed (Debian package `wrk`), else an asyncio client (httpx).
Prints req/s, p50 and p99 per case and the ratio home/bare. Target: home >= 500 req/s
with p99 <= 50 ms at 64 connections with 2 workers.

Two kinds of load: "closed" (each connection sends its next request the moment the last
returns) measures the most the server can do; there, latency is only queueing, since by
Little's law 64 connections at R req/s wait 64/R s on average, so p99 <= 50 ms closed would
need >= 1,280 req/s. "Paced" offers 500 req/s spread over the 64 connections, as members'
browsers do, and measures the latency a member sees at that rate. The load generator
shares the two cores with the server, so figures are conservative.
"""

import sys
from pathlib import Path

# This file is named like the standard library's `http` package; when run as a script its
# folder comes first on sys.path and would shadow it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-123"
EMAIL = "river@demo.kinwell.test"


def free_port() -> int:
    """A free port whose next port (the WebSocket process) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        with socket.socket() as s:
            if port < 65000 and s.connect_ex(("127.0.0.1", port + 1)) != 0:
                return port


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server at {url} did not come up")


def sign_in(base: str) -> str:
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        client.get("/account/sign-in/")
        token = client.cookies["csrftoken"]
        response = client.post(
            "/account/sign-in/",
            data={"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": base + "/account/sign-in/"},
        )
        if response.status_code != 302:
            raise SystemExit(f"sign-in failed: {response.status_code}")
        assert client.get("/home/").status_code == 200
        # Both cookies, as a browser sends them: the CSRF cookie is part of every request.
        return f"sessionid={client.cookies['sessionid']}; csrftoken={client.cookies['csrftoken']}"


# Paced load: each connection waits an exponentially distributed time (mean from the
# environment) before each request, so 64 connections together offer a steady rate, as
# members' browsers do, instead of firing the next request the instant one returns.
PACED_LUA = """
local mean = tonumber(os.getenv("KW_DELAY_MS"))
function init(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)) end
function delay() return -mean * math.log(1 - math.random()) end
"""


def run_wrk(
    url: str, seconds: int, connections: int, cookie: str, rate: float = 0
) -> tuple[float, float, float, int]:
    # One wrk thread: the load generator shares the two cores with the server.
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    env = dict(os.environ)
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    script = None
    if rate:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(PACED_LUA)
        script = handle
        cmd += ["-s", script.name]
        # Subtract a typical service time so the offered rate lands near the target.
        env["KW_DELAY_MS"] = str(max(connections / rate * 1000 - 3, 1))
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
        out = done.stdout
    finally:
        if script:
            os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(label: str) -> float:
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)  # type: ignore[union-attr]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    n_err = int(errors.group(1)) if errors else 0
    if socket_errors:
        n_err += sum(int(x) for x in socket_errors.groups())
    return rps, pct("50"), pct("99"), n_err


async def _async_load(
    url: str, seconds: int, connections: int, cookie: str
) -> tuple[float, float, float, int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    headers = {"Cookie": cookie} if cookie else {}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=10) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                start = time.perf_counter()
                try:
                    r = await client.get(url)
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - start) * 1000)

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - began
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return len(latencies) / elapsed, statistics.median(latencies), p99, errors


def load(
    url: str, seconds: int, connections: int, cookie: str, rate: float = 0
) -> tuple[float, float, float, int]:
    if shutil.which("wrk"):
        return run_wrk(url, seconds, connections, cookie, rate)
    if rate:
        raise SystemExit("paced load needs wrk (Debian package `wrk`)")
    return asyncio.run(_async_load(url, seconds, connections, cookie))


def bench_workers(
    workers: int, seconds: int, connections: int, home_cache: bool = True
) -> dict[str, tuple[float, float, float, int]]:
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="kinwell-bench-")
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "KINWELL_ASGI"}
        },
        "KINWELL_DATA_DIR": data_dir,
        "KINWELL_DEMO_PASSWORD": PASSWORD,
        "KINWELL_LOGIN_FAILURE_LIMIT": "1000",
        "KINWELL_HOME_CACHE": "1" if home_cache else "0",
    }
    for key in ("DATABASE_URL", "REDIS_URL"):
        if os.environ.get(f"BENCH_{key}"):
            env[key] = os.environ[f"BENCH_{key}"]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kinwell.cli",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base + "/healthz")
        cookie = sign_in(base)
        load(base + "/home/", 2, connections, cookie)  # warm up templates and connections
        return {
            "bare /healthz": load(base + "/healthz", seconds, connections, ""),
            "home (signed in)": load(base + "/home/", seconds, connections, cookie),
            "home at 500 req/s": load(base + "/home/", seconds, connections, cookie, rate=500),
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    tool = "wrk" if shutil.which("wrk") else "httpx asyncio client"
    print(f"load generator: {tool}; {args.connections} connections; {args.seconds} s per case")
    print(f"{'workers':>7}  {'case':<18} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for workers in (1, 2):
        results = bench_workers(workers, args.seconds, args.connections)
        if workers == 2:
            # The worst case: every visit is the first after a change (no stored copy).
            cold = bench_workers(workers, args.seconds, args.connections, home_cache=False)
            results["home, never stored"] = cold["home (signed in)"]
            results["never stored, 500/s"] = cold["home at 500 req/s"]
        for case, (rps, p50, p99, errors) in results.items():
            print(f"{workers:>7}  {case:<18} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f} {errors:>7}")
        bare, home = results["bare /healthz"][0], results["home (signed in)"][0]
        print(f"{workers:>7}  ratio home/bare    {home / bare:>9.2f}")
        if workers == 2:
            rps = results["home (signed in)"][0]
            paced_rps, _, p99, _ = results["home at 500 req/s"]
            print(
                f"target home >= 500 req/s: {rps:.0f} ({rps / 500:.2f}x); "
                f"p99 <= 50 ms at {paced_rps:.0f} req/s offered over {args.connections} "
                f"connections: {p99:.1f} ms ({p99 / 50:.2f}x of budget)"
            )


if __name__ == "__main__":
    main()

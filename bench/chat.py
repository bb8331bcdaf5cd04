"""Chat benchmark: 400 WebSocket clients in 50 circles of 8, each sending one message a
second for 20 s, against `kinwell serve` and against a bare `websockets` broadcast server
on the same load (the limit).

    .venv/bin/python bench/chat.py [--seconds 20] [--circles 50] [--size 8]
        [--redis-url redis://127.0.0.1:6379/15] [--database-url postgres://...]

Cases: Kinwell with the in-memory layer and one socket worker; Kinwell with Redis
(RedisPubSubChannelLayer) and two socket workers (skipped when Redis is unreachable).
Every Kinwell message is stored in the database before it is acknowledged. Prints, per
case: delivered share (deliveries received / deliveries expected for acknowledged
messages), latency p50/p99 from send to receipt, messages/s, and ratios to the bare server.
Target: 100 % delivered and p99 <= 25 ms with Redis on two workers.
"""

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's `http` package when this folder comes
# first on sys.path (it does when a script here runs).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import websockets  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STAMP = re.compile(r"t=(\d+)")

SEED = """
import json, sys
import django
django.setup()
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone
from kinwell.accounts.models import User
from kinwell.circles.models import Agreement, Circle, Membership
from kinwell.circles.services import default_agreements

circles, size = int(sys.argv[1]), int(sys.argv[2])
store_class = import_module(settings.SESSION_ENGINE).SessionStore
out = []
for c in range(circles):
    circle = Circle.objects.create(
        name=f"Bench {c}", focus="grief", language="en", slot="mon 19:00"
    )
    Agreement.objects.create(circle=circle, version=1, text=default_agreements())
    for m in range(size):
        user = User.objects.create_user(
            email=f"b{c}-{m}@bench.invalid", password=None, display_name=f"B{c}-{m}",
            adult_confirmed_at=timezone.now(),
        )
        Membership.objects.create(
            circle=circle, user=user, agreed_version=1, agreed_at=timezone.now()
        )
        store = store_class()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "kinwell.accounts.backends.KinwellBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
        out.append({"circle": circle.pk, "cookie": cookie})
print(json.dumps(out))
"""


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        with socket.socket() as s:
            if port < 65000 and s.connect_ex(("127.0.0.1", port + 1)) != 0:
                return port


def redis_up(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.acked = 0
        self.errors = 0
        self.received = 0


async def run_clients(
    urls_and_cookies: list[tuple[str, str, int]], seconds: float, size: int, kinwell: bool
) -> Stats:
    stats = Stats()
    sockets = []
    for url, cookie, _group in urls_and_cookies:
        headers = {"Cookie": cookie} if cookie else {}
        # Same-origin, as a browser on the site sends it (Channels checks the origin).
        origin = "http://" + url.split("/")[2]
        ws = await websockets.connect(
            url,
            additional_headers=headers,
            origin=origin,  # type: ignore[arg-type]
            max_queue=None,
        )
        sockets.append(ws)
    deadline = time.monotonic() + seconds
    quiet_until = deadline + 3

    async def reader(ws: Any) -> None:
        while True:
            try:
                raw = await asyncio.wait_for(
                    ws.recv(), timeout=max(0.1, quiet_until - time.monotonic())
                )
            except (TimeoutError, websockets.ConnectionClosed):
                return
            now = time.time_ns()
            if kinwell:
                data = json.loads(raw)
                if data["type"] == "ack":
                    stats.acked += 1
                    continue
                if data["type"] != "message":
                    stats.errors += 1
                    continue
                text = data["html"]
            else:
                text = raw
            match = STAMP.search(text)
            if match:
                stats.received += 1
                stats.latencies.append((now - int(match.group(1))) / 1e6)

    async def writer(index: int, ws: object) -> None:
        # Spread the clients' sends over the second so the load is steady.
        await asyncio.sleep((index % 100) / 100)
        n = 0
        while time.monotonic() < deadline:
            body = f"t={time.time_ns()} from {index} #{n}"
            frame = json.dumps({"type": "send", "body": body, "client_id": f"{index}-{n}"})
            await ws.send(frame if kinwell else body)  # type: ignore[attr-defined]
            if not kinwell:
                stats.acked += 1
            n += 1
            await asyncio.sleep(1)

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    await asyncio.gather(*(writer(i, ws) for i, ws in enumerate(sockets)))
    await asyncio.gather(*readers)
    for ws in sockets:
        await ws.close()
    return stats


async def bare_server(port: int) -> object:
    groups: dict[str, set[object]] = {}

    async def handler(ws: object) -> None:
        path = ws.request.path  # type: ignore[attr-defined]
        members = groups.setdefault(path, set())
        members.add(ws)
        try:
            async for message in ws:  # type: ignore[attr-defined]
                websockets.broadcast(members, message)  # type: ignore[arg-type]
        finally:
            members.discard(ws)

    return await websockets.serve(handler, "127.0.0.1", port)


def start_kinwell(env: dict[str, str], port: int, ws_workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kinwell.cli", "serve", "--port", str(port), "--workers", "1",
         "--ws-workers", str(ws_workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise SystemExit(f"nothing listening on port {port}")


def kinwell_case(args: argparse.Namespace, ws_workers: int, redis_url: str) -> Stats:
    data_dir = tempfile.mkdtemp(prefix="kinwell-chat-bench-")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "KINWELL_ASGI", "KINWELL_REQUIRE_SERVICES"}
    }
    env.update({"KINWELL_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "config.settings"})
    if redis_url:
        env["REDIS_URL"] = redis_url
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    port = free_port()
    try:
        subprocess.run(
            [sys.executable, "-m", "kinwell.cli", "migrate", "-v", "0"], cwd=ROOT, env=env,
            check=True,
        )  # fmt: skip
        if args.database_url:
            subprocess.run(
                [sys.executable, "-m", "kinwell.cli", "flush", "--no-input", "-v", "0"],
                cwd=ROOT, env=env, check=True,
            )  # fmt: skip
        if redis_url:
            import redis

            redis.Redis.from_url(redis_url).flushdb()
        seeded = subprocess.run(
            [sys.executable, "-c", SEED, str(args.circles), str(args.size)],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        clients = json.loads(seeded.strip().splitlines()[-1])
        server = start_kinwell(env, port, ws_workers)
        try:
            wait_port(port + 1)
            time.sleep(1.5)
            targets = [
                (
                    f"ws://127.0.0.1:{port + 1}/ws/circles/{c['circle']}/chat/",
                    c["cookie"],
                    c["circle"],
                )
                for c in clients
            ]
            return asyncio.run(run_clients(targets, args.seconds, args.size, kinwell=True))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def bare_case(args: argparse.Namespace) -> Stats:
    async def main() -> Stats:
        port = free_port()
        server = await bare_server(port)
        targets = [
            (f"ws://127.0.0.1:{port}/g{c}", "", c)
            for c in range(args.circles)
            for _ in range(args.size)
        ]
        try:
            return await run_clients(targets, args.seconds, args.size, kinwell=False)
        finally:
            server.close()  # type: ignore[attr-defined]

    return asyncio.run(main())


def summary(stats: Stats, args: argparse.Namespace) -> tuple[float, float, float, float]:
    expected = stats.acked * args.size
    delivered = stats.received / expected if expected else 0.0
    lat = sorted(stats.latencies)
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[max(0, int(len(lat) * 0.99) - 1)] if lat else float("nan")
    return delivered, p50, p99, stats.acked / args.seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--circles", type=int, default=50)
    parser.add_argument("--size", type=int, default=8)
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument(
        "--skip-memory", action="store_true", help="skip the in-memory case (1 worker)"
    )
    args = parser.parse_args()
    print(
        f"{args.circles * args.size} clients in {args.circles} circles of {args.size}, "
        f"1 message/s each for {args.seconds:.0f} s"
    )
    print(f"{'case':<34} {'delivered':>9} {'p50 ms':>8} {'p99 ms':>8} {'msg/s':>7} {'errors':>6}")
    rows = {}
    cases = [("bare websockets broadcast (limit)", lambda: bare_case(args))]
    if not args.skip_memory:
        cases.append(("kinwell, in-memory, 1 worker", lambda: kinwell_case(args, 1, "")))
    if redis_up(args.redis_url):
        cases.append(
            ("kinwell, Redis pub/sub, 2 workers", lambda: kinwell_case(args, 2, args.redis_url))
        )
    else:
        print(f"(Redis at {args.redis_url} unreachable: Redis case skipped)")
    for name, run in cases:
        stats = run()
        rows[name] = summary(stats, args)
        delivered, p50, p99, rate = rows[name]
        print(
            f"{name:<34} {delivered:>8.1%} {p50:>8.2f} {p99:>8.2f} {rate:>7.0f} {stats.errors:>6}"
        )
    bare = rows["bare websockets broadcast (limit)"]
    for name, (_delivered, p50, p99, _rate) in rows.items():
        if name.startswith("kinwell"):
            print(f"ratio {name} / bare: p50 {p50 / bare[1]:.1f}x, p99 {p99 / bare[2]:.1f}x")
    redis_row = rows.get("kinwell, Redis pub/sub, 2 workers")
    if redis_row:
        print(
            f"target: 100% delivered ({redis_row[0]:.1%}), p99 <= 25 ms ({redis_row[2]:.1f} ms) "
            "with Redis on 2 workers"
        )


if __name__ == "__main__":
    main()

"""Load test: N signed-in members doing what members do, with think time, for M minutes,
against a real server on loopback. Bounded: it stops at the deadline and stops what it
started.

    .venv/bin/python bench/load.py [--case pg|sqlite|all] [--members 200] [--minutes 5]
        [--think 5] [--arrive 30] [--ramp 50,100,200,400] [--ramp-minutes 2]
        [--via nginx|serve]
        [--database-url postgres://postgres@127.0.0.1:5432/kinwell_load]
        [--redis-url redis://127.0.0.1:6379/14]

Members arrive spread over the first --arrive seconds. Each holds their circle's chat
socket open (as the circle page does) and, after each exponentially distributed pause
(mean --think seconds, at most four times that), does one of:

- read their circle page (GET);                                               35 %
- chat: send a message over the WebSocket and wait for the "ack" (stored);    30 %
- daily check-in: GET the form, POST it with its CSRF token (one per day,
  editable, so later ones update it);                                         15 %
- post in the circle: GET the circle page, POST the post form;                10 %
- take the PHQ-9: GET the form, POST all nine answers (item 9 always 0).      10 %

Errors: any status other than the one expected (200 for a page, 302 after a form),
timeouts (--timeout, 10 s), socket errors, chat "error" frames and acks that never come.
Members, their circles (formed by the real join-and-match services) and their accepted
agreements are seeded through the services; sessions are created as `bench/chat.py` does.

Cases:
- pg: PostgreSQL (database `kinwell_load`, dropped and created) + Redis (db 14, flushed),
  2 page workers + 2 socket workers: by default behind nginx with `deploy/scale.py`
  (--via serve: `kinwell serve --workers 2 --ws-workers 2`, no nginx);
- sqlite: the embedded default, `kinwell serve --workers 1 --ws-workers 1` on SQLite with
  the in-memory layer, at each member count of --ramp (--members for --minutes, the others
  for --ramp-minutes); reports the largest count served with 0 errors and every p99 under
  500 ms.

The load generator runs on the same two cores as the server; it reports its own CPU and
event-loop lag, so a saturated generator is visible instead of read as server latency.
"""

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's `http` package when this folder comes
# first on sys.path (it does when a script here runs).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

import httpx  # noqa: E402
import websockets  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
P99_BUDGET_MS = 500.0

ROWS = [
    "check-in form (GET)",
    "check-in (POST)",
    "circle page (GET)",
    "post (POST)",
    "chat connect (WS)",
    "chat send -> ack (WS)",
    "PHQ-9 form (GET)",
    "PHQ-9 (POST)",
]
MIX = [("circle", 35), ("chat", 30), ("checkin", 15), ("post", 10), ("assessment", 10)]

# Through the services: sign-up (terms and privacy consent), a join request each (the
# matching service forms circles of 5-8 on commit), the circle's agreements accepted,
# then a session per member as a sign-in leaves it (bench/chat.py does the same).
SEED = """
import json, secrets, sys
import django
django.setup()
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.http import HttpRequest
from django.test.utils import override_settings
from kinwell.accounts.services import user_sign_up, user_signed_in
from kinwell.circles import services as circles
from kinwell.circles.models import Membership

count = int(sys.argv[1])
store_class = import_module(settings.SESSION_ENGINE).SessionStore
users = []
# No one signs in with these passwords (sessions are made below): hash them cheaply, as
# argon2 would spend ~0.1 s of CPU per seeded member by design.
with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
    for n in range(count):
        users.append(user_sign_up(
            display_name=f"Load {n}", email=f"load{n}@load.kinwell.test",
            password=secrets.token_urlsafe(18), adult_confirmed=True,
        ))
# Circles of 5-8 as even as the count allows; each batch asks for its own focus and weekly
# slot, so the matching service forms exactly one circle from it.
from kinwell.circles.focus import focus_areas
from kinwell.circles.slots import DAY_KEYS, TIME_KEYS
slots = [(f.slug, d, t) for f in focus_areas() for d in DAY_KEYS for t in TIME_KEYS]
groups = max(1, -(-count // 8))
sizes = [count // groups + (1 if g < count % groups else 0) for g in range(groups)]
start = 0
for (focus, day, time), size in zip(slots, sizes):
    for user in users[start:start + size]:
        circles.join_request_create(
            user=user, focus_slug=focus, language="en", days=[day], times=[time],
            stage="middle",
        )
    start += size
out = []
for user in users:
    membership = Membership.objects.filter(user=user, status="active").first()
    if membership is None:
        continue
    circles.agreement_accept(
        user=user, circle_id=membership.circle_id,
        version=circles.current_version(membership.circle),
    )
    store = store_class()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "kinwell.accounts.backends.KinwellBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    request = HttpRequest()
    request.session = store
    user_signed_in(request=request, user=user)
    out.append({"circle": membership.circle_id, "cookie": settings.SESSION_COOKIE_NAME,
                "session": store.session_key})
from kinwell.safety.screening import screen_text
candidates = json.loads(sys.argv[2])
texts = {k: [t for t in pool if screen_text(t).level == "none"] for k, pool in candidates.items()}
print(json.dumps({"members": out, "unplaced": count - len(out), "texts": texts}))
"""

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RADIO = re.compile(r'<input type="radio" name="(q[^"]+)" value="([^"]*)"')
DRAFT = re.compile(r'name="draft_id" value="(\d*)"')
# Ordinary words for notes, posts and chat. Whatever the current screening model would
# flag is left out before the run (and listed), so the load never opens escalations and an
# unexpected "help" page is a real error.
CANDIDATES: dict[str, list[str]] = {
    "note": [
        "",
        "Went for a long walk after work.",
        "Slept better. Called my sister.",
        "A quiet day, made soup.",
        "Read a good book this evening.",
        "Walked by the river after work.",
    ],
    "post": [
        "Small win today: I went to the market on my own.",
        "Does anyone have a routine that helps on Sunday evenings?",
        "Thank you all for last week, it helped more than I said.",
        "I tried the breathing practice before the meeting and it helped.",
        "Looking forward to Monday, see you all then.",
    ],
    "chat": [
        "Thinking of you all.",
        "Good evening everyone.",
        "That sounds like a good step.",
        "Same here, one day at a time.",
        "Thanks for sharing that.",
    ],
}
TEXTS: dict[str, list[str]] = {kind: list(pool) for kind, pool in CANDIDATES.items()}


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (nan when there is nothing)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    acked: int = 0
    # (circle, message id, when the send started, when the ack came)
    acks: list[tuple[int, int, float, float]] = field(default_factory=list)
    sockets: list["ChatSocket"] = field(default_factory=list)

    def deliveries(self) -> tuple[int, int]:
        """(received, expected): every acknowledged message should reach every socket of
        its circle that was open from before the send until after the ack, sender too."""
        by_circle: dict[int, list[ChatSocket]] = defaultdict(list)
        for chat in self.sockets:
            by_circle[chat.member.circle].append(chat)
        received = expected = 0
        for circle, message_id, sent, acked in self.acks:
            for chat in by_circle[circle]:
                if chat.opened_at is None or chat.opened_at > sent:
                    continue
                if chat.closed_at is not None and chat.closed_at < acked + 1.0:
                    continue
                expected += 1
                received += message_id in chat.received
        return received, expected

    def ok(self, row: str, ms: float) -> None:
        self.latencies[row].append(ms)

    def error(self, row: str, kind: str, ms: float | None = None) -> None:
        self.errors[row][kind] += 1
        if ms is not None:
            self.latencies[row].append(ms)

    def count(self, row: str) -> int:
        return len(self.latencies[row]) + sum(
            n for kind, n in self.errors[row].items() if kind.startswith(("timeout", "socket"))
        )

    def total_errors(self) -> int:
        return sum(sum(c.values()) for c in self.errors.values())


@dataclass
class Member:
    index: int
    circle: int
    cookie: str
    session: str


class ChatSocket:
    """One member's chat socket: sends wait for their own ack; every broadcast counts."""

    def __init__(self, url: str, origin: str, member: Member, stats: Stats, timeout: float):
        self.url, self.origin, self.member = url, origin, member
        self.stats, self.timeout = stats, timeout
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.sent = 0
        self.opened_at: float | None = None
        self.closed_at: float | None = None
        self.received: set[int] = set()
        stats.sockets.append(self)

    @property
    def is_open(self) -> bool:
        return self.ws is not None and self.reader is not None and not self.reader.done()

    async def open(self) -> None:
        started = time.perf_counter()
        row = "chat connect (WS)"
        try:
            self.ws = await asyncio.wait_for(
                websockets.connect(
                    self.url,
                    additional_headers={"Cookie": f"{self.member.cookie}={self.member.session}"},
                    origin=self.origin,  # type: ignore[arg-type]
                    max_queue=None,
                    open_timeout=self.timeout,
                ),
                self.timeout,
            )
        except TimeoutError:
            self.stats.error(row, "timeout")
            return
        except websockets.InvalidStatus as exc:
            code = exc.response.status_code
            self.stats.error(row, f"HTTP {code}", (time.perf_counter() - started) * 1000)
            return
        except (OSError, websockets.WebSocketException) as exc:
            self.stats.error(row, f"socket: {type(exc).__name__}")
            return
        self.stats.ok(row, (time.perf_counter() - started) * 1000)
        if self.opened_at is None:
            self.opened_at = time.monotonic()
        self.closed_at = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                data = json.loads(raw)
                kind = data.get("type")
                if kind == "message":
                    self.received.add(data["id"])
                elif kind in ("ack", "error"):
                    future = self.pending.pop(data.get("client_id", ""), None)
                    if future is not None and not future.done():
                        future.set_result(data)
                    elif kind == "error":
                        self.stats.error("chat send -> ack (WS)", f"error: {data.get('message')}")
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed_at = time.monotonic()
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("socket closed"))

    async def send(self, body: str) -> None:
        row = "chat send -> ack (WS)"
        if not self.is_open:
            if self.ws is not None:
                self.stats.error("chat connect (WS)", "closed by server (reconnected)")
            await self.open()
            if not self.is_open:
                return
        self.sent += 1
        client_id = f"m{self.member.index}-{self.sent}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[client_id] = future
        started, sent_at = time.perf_counter(), time.monotonic()
        frame = json.dumps({"type": "send", "body": body, "client_id": client_id})
        try:
            await self.ws.send(frame)
            reply = await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            self.pending.pop(client_id, None)
            self.stats.error(row, "timeout (no ack)")
            return
        except (ConnectionError, websockets.ConnectionClosed) as exc:
            self.stats.error(row, f"socket: {type(exc).__name__}")
            return
        ms = (time.perf_counter() - started) * 1000
        if reply.get("type") != "ack":
            self.stats.error(row, f"error: {reply.get('message')}", ms)
            return
        self.stats.ok(row, ms)
        self.stats.acked += 1
        # Everyone whose socket is open in that circle receives it, the sender included.
        self.stats.acks.append((self.member.circle, reply["id"], sent_at, time.monotonic()))

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reader, 5)


async def request(
    client: httpx.AsyncClient,
    stats: Stats,
    row: str,
    method: str,
    url: str,
    expect: int,
    **kwargs: Any,
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        stats.error(row, "timeout")
        return None
    except httpx.HTTPError as exc:
        stats.error(row, f"socket: {type(exc).__name__}")
        return None
    ms = (time.perf_counter() - started) * 1000
    if response.status_code != expect:
        where = response.headers.get("location", "")
        kind = f"HTTP {response.status_code}{' -> ' + where if where else ''}"
        if method == "POST" and response.status_code in (200, 400):
            kind += " (form shown again, or help after screening)"
        stats.error(row, kind, ms)
        return None
    stats.ok(row, ms)
    return response


def token_of(response: httpx.Response | None) -> str | None:
    if response is None:
        return None
    found = CSRF_INPUT.search(response.text)
    return found.group(1) if found else None


async def do_checkin(client: httpx.AsyncClient, stats: Stats, rng: random.Random) -> None:
    page = await request(client, stats, "check-in form (GET)", "GET", "/checkin/", 200)
    token = token_of(page)
    if token is None:
        if page is not None:
            stats.error("check-in form (GET)", "no CSRF token in the form")
        return
    data: dict[str, Any] = {
        name: str(rng.randint(1, 4)) for name in ("seen", "safe", "soothed", "secure", "stable")
    }
    data.update(
        window=rng.choice(["inside", "inside", "below", "above"]),
        mood=str(rng.randint(2, 5)),
        note=rng.choice(TEXTS["note"]),
        csrfmiddlewaretoken=token,
    )
    await request(client, stats, "check-in (POST)", "POST", "/checkin/", 302, data=data)


async def do_circle(client: httpx.AsyncClient, stats: Stats, member: Member) -> str | None:
    page = await request(
        client, stats, "circle page (GET)", "GET", f"/circles/{member.circle}/", 200
    )
    return token_of(page)


async def do_post(
    client: httpx.AsyncClient, stats: Stats, member: Member, rng: random.Random
) -> None:
    token = await do_circle(client, stats, member)
    if token is None:
        return
    data = {"body": rng.choice(TEXTS["post"]), "csrfmiddlewaretoken": token}
    await request(
        client, stats, "post (POST)", "POST", f"/circles/{member.circle}/posts/", 302, data=data
    )


async def do_assessment(client: httpx.AsyncClient, stats: Stats, rng: random.Random) -> None:
    page = await request(client, stats, "PHQ-9 form (GET)", "GET", "/assessments/phq9/", 200)
    token = token_of(page)
    if page is None or token is None:
        return
    options: dict[str, list[str]] = defaultdict(list)
    for name, value in RADIO.findall(page.text):
        options[name].append(value)
    if len(options) != 9:
        stats.error("PHQ-9 form (GET)", f"form has {len(options)} questions, expected 9")
        return
    names = list(options)
    # The two lowest answers (a minimal or mild result); item 9 always "not at all", so
    # the load does not open escalations for moderators.
    data = {name: rng.choice(sorted(options[name])[:2]) for name in names[:-1]}
    data[names[-1]] = sorted(options[names[-1]])[0]
    draft = DRAFT.search(page.text)
    data.update(
        csrfmiddlewaretoken=token, action="submit", draft_id=draft.group(1) if draft else ""
    )
    await request(client, stats, "PHQ-9 (POST)", "POST", "/assessments/phq9/", 302, data=data)


async def run_member(
    member: Member,
    base: str,
    ws_base: str,
    stats: Stats,
    deadline: float,
    think: float,
    timeout: float,
    arrive: float,
    seed: int,
) -> None:
    rng = random.Random(seed)
    actions, weights = zip(*MIX, strict=True)
    origin = base
    headers = {"Origin": origin, "User-Agent": "kinwell-load/1"}
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    # Members arrive spread over the first `arrive` seconds, not all in the same instant.
    await asyncio.sleep(rng.uniform(0, arrive))
    chat = ChatSocket(f"{ws_base}/ws/circles/{member.circle}/chat/", origin, member, stats, timeout)
    async with httpx.AsyncClient(
        base_url=base,
        cookies={member.cookie: member.session},
        headers=headers,
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
    ) as client:
        await chat.open()
        while time.monotonic() < deadline:
            action = rng.choices(actions, weights)[0]
            if action == "circle":
                await do_circle(client, stats, member)
            elif action == "chat":
                await chat.send(rng.choice(TEXTS["chat"]))
            elif action == "checkin":
                await do_checkin(client, stats, rng)
            elif action == "post":
                await do_post(client, stats, member, rng)
            else:
                await do_assessment(client, stats, rng)
            pause = min(rng.expovariate(1 / think), 4 * think)
            await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        await asyncio.sleep(1.0)  # let the last broadcasts arrive
        await chat.close()


async def loop_lag(samples: list[float], deadline: float) -> None:
    """How late the event loop wakes up: the generator's own saturation."""
    while time.monotonic() < deadline:
        before = time.perf_counter()
        await asyncio.sleep(0.05)
        samples.append((time.perf_counter() - before - 0.05) * 1000)


@dataclass
class Result:
    label: str
    members: int
    seconds: float
    stats: Stats
    cpu: float
    lag_p99: float

    def operations(self) -> int:
        return sum(self.stats.count(row) for row in ROWS)

    def worst_p99(self) -> tuple[float, str]:
        worst = max(
            ((pct(self.stats.latencies[r], 0.99), r) for r in ROWS if self.stats.latencies[r]),
            default=(float("nan"), "-"),
        )
        return worst

    def passed(self) -> bool:
        p99, _ = self.worst_p99()
        return self.stats.total_errors() == 0 and p99 < P99_BUDGET_MS


async def drive(
    members: list[Member],
    base: str,
    ws_base: str,
    minutes: float,
    think: float,
    timeout: float,
    arrive: float,
) -> tuple[Stats, float, float, float]:
    stats = Stats()
    started = time.monotonic()
    deadline = started + minutes * 60
    cpu0 = time.process_time()
    lags: list[float] = []
    lag_task = asyncio.create_task(loop_lag(lags, deadline))
    await asyncio.gather(
        *(
            run_member(m, base, ws_base, stats, deadline, think, timeout, arrive, seed=i)
            for i, m in enumerate(members)
        )
    )
    elapsed = time.monotonic() - started
    await lag_task
    cpu = (time.process_time() - cpu0) / elapsed
    return stats, elapsed, cpu, pct(lags, 0.99)


def print_table(result: Result) -> None:
    stats = result.stats
    print(f"\n{result.label}: {result.members} members, {result.seconds / 60:.1f} min")
    print(f"{'action':<24} {'count':>7} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8}")
    everything: list[float] = []
    for row in ROWS:
        values = stats.latencies[row]
        everything += values
        errors = sum(stats.errors[row].values())
        print(
            f"{row:<24} {stats.count(row):>7} {errors:>6} "
            f"{pct(values, 0.5):>8.1f} {pct(values, 0.99):>8.1f}"
        )
    print(
        f"{'all':<24} {result.operations():>7} {stats.total_errors():>6} "
        f"{pct(everything, 0.5):>8.1f} {pct(everything, 0.99):>8.1f}"
    )
    received, expected = stats.deliveries()
    delivered = received / expected if expected else 0
    print(
        f"throughput {result.operations() / result.seconds:.1f} operations/s "
        f"(requests + chat messages); chat deliveries {received}/"
        f"{expected} ({delivered:.1%}); generator {result.cpu:.0%} of a core, "
        f"event-loop lag p99 {result.lag_p99:.1f} ms"
    )
    for row in ROWS:
        for kind, n in stats.errors[row].most_common(3):
            print(f"  error  {row}: {kind} x{n}")


# --- servers --------------------------------------------------------------------------


def free_port() -> int:
    """A free port whose next port (the WebSocket process of `kinwell serve`) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        with socket.socket() as s:
            if port < 65000 and s.connect_ex(("127.0.0.1", port + 1)) != 0:
                return port


def base_env(data_dir: str) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "KINWELL_ASGI", "KINWELL_RELAY_URL", "KINWELL_TESTING"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"KINWELL_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "config.settings"})
    return env


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def seed(env: dict[str, str], members: int) -> list[Member]:
    kinwell = [sys.executable, "-m", "kinwell.cli"]
    subprocess.run([*kinwell, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", SEED, str(members), json.dumps(CANDIDATES)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    data = json.loads(out.strip().splitlines()[-1])
    if data["unplaced"]:
        raise SystemExit(f"seeding left {data['unplaced']} members without a circle")
    for kind, pool in CANDIDATES.items():
        kept = data["texts"][kind]
        if not kept:
            raise SystemExit(f"the screening model flags every candidate {kind} text")
        TEXTS[kind] = kept
        for text in pool:
            if text not in kept:
                print(f"left out ({kind}), flagged by the screening model: {text!r}")
    seeded = [
        Member(index=i, circle=row["circle"], cookie=row["cookie"], session=row["session"])
        for i, row in enumerate(data["members"])
    ]
    circles = Counter(m.circle for m in seeded)
    print(
        f"seeded {len(seeded)} members in {len(circles)} circles "
        f"(sizes {min(circles.values())}-{max(circles.values())}) in "
        f"{time.monotonic() - started:.0f} s",
        flush=True,
    )
    return seeded


class Server:
    """A server command in its own session, its output in a log file; stopped as a group."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_for(self, ready: str | None, url: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited ({self.proc.returncode}):\n{self.tail()}")
            text = self.log.read_text(errors="replace")
            if ready is None or ready in text:
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.5)
        raise SystemExit(f"server did not come up:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.handle.close()


def run_case(
    args: argparse.Namespace, label: str, members: int, kind: str, via: str, minutes: float
) -> Result:
    data_dir = tempfile.mkdtemp(prefix="kinwell-load-")
    # nginx's workers (an unprivileged user when run as root) read collected static here.
    Path(data_dir).chmod(0o755)
    env = base_env(data_dir)
    if kind == "pg":
        recreate_database(args.database_url)
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        env.update({"DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url})
    server: Server | None = None
    try:
        seeded = seed(env, members)
        port = free_port()
        log = Path(data_dir) / "server.log"
        if kind == "pg" and via == "nginx":
            command = [
                sys.executable, str(ROOT / "deploy" / "scale.py"), "--port", str(port),
                "--workers", "2", "--ws-workers", "2",
                "--database-url", args.database_url, "--redis-url", args.redis_url,
            ]  # fmt: skip
            server = Server(command, env, log)
            server.wait_for("Press Ctrl+C", f"http://127.0.0.1:{port}/healthz")
            base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        else:
            workers = "2" if kind == "pg" else "1"
            command = [
                sys.executable, "-m", "kinwell.cli", "serve", "--port", str(port),
                "--workers", workers, "--ws-workers", workers,
            ]  # fmt: skip
            server = Server(command, env, log)
            server.wait_for("Press Ctrl+C", f"http://127.0.0.1:{port}/healthz")
            base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port + 1}"
        time.sleep(1.0)
        arrive = min(args.arrive, minutes * 60 / 4)
        load_before = os.getloadavg()[0]
        stats, elapsed, cpu, lag = asyncio.run(
            drive(seeded, base, ws_base, minutes, args.think, args.timeout, arrive)
        )
        result = Result(label, len(seeded), elapsed, stats, cpu, lag)
        print_table(result)
        # The machine is shared: say how busy it was, beyond this test.
        print(
            f"machine load average (1 min): {load_before:.1f} before, "
            f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores"
        )
        if stats.total_errors():
            problems = [
                line
                for line in server.tail(20000).splitlines()
                if "Error" in line or "error" in line
            ]
            for line in problems[-5:]:
                print(f"  server log: {line[:200]}")
        return result
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Kinwell load test (see the module docstring).")
    parser.add_argument("--case", choices=["pg", "sqlite", "all"], default="all")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--think", type=float, default=5, help="mean pause between actions, s")
    parser.add_argument("--timeout", type=float, default=10, help="per request or ack, s")
    parser.add_argument(
        "--arrive",
        type=float,
        default=30,
        help="members arrive spread over this many seconds (at most a quarter of the run)",
    )
    parser.add_argument(
        "--ramp", default="50,100,200,400", help="SQLite member counts, comma-separated"
    )
    parser.add_argument(
        "--ramp-minutes",
        type=float,
        default=2,
        help="minutes per ramp step other than --members (which runs --minutes)",
    )
    parser.add_argument("--via", choices=["nginx", "serve"], default="nginx")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kinwell_load"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    args = parser.parse_args()
    ramp = sorted({int(n) for n in args.ramp.split(",") if n.strip()} | {args.members})
    if args.minutes <= 0 or args.ramp_minutes <= 0 or args.think <= 0:
        parser.error("--minutes, --ramp-minutes and --think must be positive")
    if not all(5 <= n <= 2000 for n in [args.members, *ramp]):
        parser.error("member counts must be 5-2000 (circles have at least 5 members)")
    print(
        f"mix {', '.join(f'{name} {w}%' for name, w in MIX)}; think time mean {args.think:g} s; "
        f"timeout {args.timeout:g} s; p99 budget {P99_BUDGET_MS:.0f} ms"
    )
    if args.case in ("pg", "all"):
        label = (
            "PostgreSQL + Redis, nginx -> 2 page workers (granian) + 2 socket workers (uvicorn)"
            if args.via == "nginx"
            else "PostgreSQL + Redis, kinwell serve --workers 2 --ws-workers 2"
        )
        run_case(args, label, args.members, "pg", args.via, args.minutes)
    if args.case in ("sqlite", "all"):
        results = []
        for members in ramp:
            label = "SQLite, in-memory layer, kinwell serve --workers 1 --ws-workers 1"
            minutes = args.minutes if members == args.members else args.ramp_minutes
            results.append(run_case(args, label, members, "sqlite", "serve", minutes))
        print("\nSQLite ramp (1 page worker + 1 socket worker):")
        print(f"{'members':>7} {'ops/s':>7} {'errors':>6} {'worst p99 ms':>12}  worst action")
        for r in results:
            p99, row = r.worst_p99()
            print(
                f"{r.members:>7} {r.operations() / r.seconds:>7.1f} "
                f"{r.stats.total_errors():>6} {p99:>12.1f}  {row}"
            )
        served = [r.members for r in results if r.passed()]
        print(
            f"largest member count with 0 errors and every p99 < {P99_BUDGET_MS:.0f} ms: "
            + (str(max(served)) if served else f"none of {ramp}")
        )


if __name__ == "__main__":
    main()

"""What every fault check shares: private servers on loopback, clean-up, members, results.

Everything a check starts runs in its own process group and is stopped when the check
ends, however it ends: normal return, exception, SIGTERM/SIGINT (from faults/run.py on
timeout), or the check's own alarm. Each group, mount and PostgreSQL data folder is also
written to the ledger file named by FAULTS_LEDGER, so faults/run.py can clean up even
after a SIGKILL.

The machine's shared PostgreSQL and Redis are never touched: checks start their own.
"""

import asyncio
import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULT_PREFIX = "FAULT-RESULT "
PG_BIN = Path("/usr/lib/postgresql/15/bin")

# --- Clean-up ------------------------------------------------------------------------

_cleanups: list[Callable[[], None]] = []


def on_cleanup(func: Callable[[], None]) -> None:
    """Run `func` when the check ends (last registered, first run)."""
    _cleanups.append(func)


def cleanup_all() -> None:
    while _cleanups:
        func = _cleanups.pop()
        try:
            func()
        except Exception as exc:  # clean-up goes on whatever one step does
            print(f"  clean-up step failed: {exc!r}", flush=True)


def _on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


atexit.register(cleanup_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


def ledger(line: str) -> None:
    path = os.environ.get("FAULTS_LEDGER")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def log(text: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {text}", flush=True)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Start time of each group leader we spawned, to never signal a later group with its id.
_started: dict[int, str] = {}


def _mine(pgid: int) -> bool:
    return pgid in _started and ours(pgid, _started[pgid])


def stop_group(proc: "subprocess.Popen[Any]", grace: float = 10) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after `grace` seconds."""
    pgid = proc.pid
    if _mine(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _mine(pgid):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.2)
            if proc.poll() is not None and not group_alive(pgid):
                break
            time.sleep(0.1)
        if _mine(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def kill_group(proc: "subprocess.Popen[Any]") -> None:
    """SIGKILL the process group at once: the fault itself, not a clean stop."""
    if _mine(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def spawn(
    cmd: list[str],
    *,
    log_path: Path,
    env: dict[str, str] | None = None,
    user: str | None = None,
    cwd: Path = ROOT,
) -> "subprocess.Popen[bytes]":
    """Start `cmd` in a new process group, output to `log_path`, stopped at clean-up."""
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            user=user,
        )
    _started[proc.pid] = start_time(proc.pid)
    ledger(f"pgid {proc.pid} {_started[proc.pid]}")
    on_cleanup(lambda: stop_group(proc))
    return proc


def workdir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"kinwell-fault-{prefix}-"))
    os.chmod(path, 0o755)  # noqa: S103 (the postgres user must reach files in it)
    if os.environ.get("FAULTS_KEEP"):  # keep logs and data to look at afterwards
        print(f"  keeping {path}", flush=True)
    else:
        on_cleanup(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


# --- Ports ---------------------------------------------------------------------------


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(span: int = 1) -> int:
    """A loopback port whose next `span - 1` ports are free too (kinwell uses port + 1)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port + span < 65000 and all(_port_free(port + i) for i in range(span)):
            return port
    raise RuntimeError("no free loopback port found")


def wait_port(port: int, timeout: float = 60, proc: "subprocess.Popen[Any] | None" = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited (status {proc.returncode}) before listening")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listening on port {port} after {timeout:.0f} s")


# --- Processes -----------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(x) for x in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    to_visit = [pid]
    while to_visit:
        for child in children(to_visit.pop()):
            out.append(child)
            to_visit.append(child)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def start_time(pid: int) -> str:
    """The kernel's start time of `pid` (tells a process from a later one with its id)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def ours(pgid: int, started: str) -> bool:
    """Whether process group `pgid` is still the one started with that start time.

    While any member of a group lives, its id cannot be reused; a new group with the same
    id needs a new leader with that pid, which then has another start time.
    """
    leader = start_time(pgid)
    return group_alive(pgid) and (leader == "" or leader == started)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


# --- Kinwell -------------------------------------------------------------------------

SCRUB = {
    "DATABASE_URL",
    "REDIS_URL",
    "KINWELL_ASGI",
    "KINWELL_RELAY_URL",
    "KINWELL_WS_URL",
    "KINWELL_SITE_URL",
    "KINWELL_PORT",
    "KINWELL_REQUIRE_SERVICES",
    "KINWELL_DEBUG",
    "KINWELL_TESTING",
}


def kinwell_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB and not k.startswith("GRANIAN_")}
    env.pop("FAULTS_LEDGER", None)
    env.update(
        {
            "KINWELL_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            "KINWELL_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def kinwell(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run a `kinwell` command to the end; its output, or an error naming it."""
    done = subprocess.run(
        [PYTHON, "-m", "kinwell.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kinwell {' '.join(args)} failed: {done.stderr.strip()[-800:]}")
    return done.stdout


def django_script(env: dict[str, str], code: str, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [PYTHON, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"script failed: {done.stderr.strip()[-1500:]}")
    return done.stdout


# Members with sessions made directly (as bench/chat.py does): signing 1,000 people in
# through the form would spend a minute of CPU on argon2 and test nothing here.
SEED = """
import json, sys
import django
django.setup()
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from django.utils import timezone
from kinwell.accounts.models import User
from kinwell.circles.models import Agreement, Circle, Membership
from kinwell.circles.services import default_agreements

count, prefix, in_circle = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
store_class = import_module(settings.SESSION_ENGINE).SessionStore
out = []
with transaction.atomic():
    circle = None
    if in_circle:
        circle = Circle.objects.create(
            name=f"Fault {prefix}", focus="grief", language="en", slot="mon 19:00"
        )
        Agreement.objects.create(circle=circle, version=1, text=default_agreements())
    for n in range(count):
        user = User.objects.create_user(
            email=f"{prefix}-{n}@faults.invalid", password=None, display_name=f"F{n}",
            adult_confirmed_at=timezone.now(),
        )
        if circle is not None:
            Membership.objects.create(
                circle=circle, user=user, agreed_version=1, agreed_at=timezone.now()
            )
        store = store_class()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "kinwell.accounts.backends.KinwellBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        out.append({"id": user.pk, "session": store.session_key,
                    "circle": circle.pk if circle else None})
print(json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "members": out}))
"""


@dataclass
class Member:
    id: int
    cookie_name: str
    session: str
    circle: int | None

    def client(self, base: str, timeout: float = 15) -> httpx.Client:
        return httpx.Client(
            base_url=base,
            cookies={self.cookie_name: self.session},
            follow_redirects=False,
            timeout=timeout,
        )


def seed_members(
    env: dict[str, str], count: int, prefix: str, in_circle: bool = False
) -> list[Member]:
    raw = django_script(env, SEED, str(count), prefix, "1" if in_circle else "0", timeout=180)
    data = json.loads(raw.strip().splitlines()[-1])
    return [Member(m["id"], data["cookie"], m["session"], m["circle"]) for m in data["members"]]


def start_kinwell(
    env: dict[str, str],
    port: int,
    log_path: Path,
    *,
    workers: int = 2,
    ws_workers: int = 1,
    threads: int = 2,
) -> "subprocess.Popen[bytes]":
    """`kinwell serve` on loopback, ready for pages and sockets when this returns."""
    proc = spawn(
        [PYTHON, "-m", "kinwell.cli", "serve", "--port", str(port), "--workers", str(workers),
         "--ws-workers", str(ws_workers), "--threads", str(threads), "--no-tick"],
        env=env,
        log_path=log_path,
    )  # fmt: skip
    wait_port(port, 90, proc)
    wait_port(port + 1, 60, proc)
    # Ready when pages and sockets both answer several times in a row: with several
    # workers on one port, the first to answer is not proof that the others are up.
    deadline = time.monotonic() + 45
    streak = 0
    while time.monotonic() < deadline and streak < 3 * (workers + ws_workers):
        try:
            ok = all(
                httpx.get(f"http://127.0.0.1:{p}/healthz", timeout=5).status_code == 200
                for p in (port, port + 1)
            )
        except httpx.HTTPError:
            ok = False
        streak = streak + 1 if ok else 0
        time.sleep(0.1 if ok else 0.3)
    if streak < 3 * (workers + ws_workers):
        raise RuntimeError("kinwell serve did not answer /healthz on both ports")
    return proc


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def shows_traceback(body: str) -> bool:
    return "Traceback (most recent call last)" in body or "Exception Value:" in body


CHECKIN_FORM = {"seen": "3", "safe": "3", "soothed": "2", "secure": "3", "stable": "2",
                "window": "inside", "mood": "4"}  # fmt: skip


def post_checkin(client: httpx.Client, note: str) -> httpx.Response:
    """The real form: GET the page (CSRF cookie and token), then POST it."""
    page = client.get("/checkin/")
    if page.status_code != 200:
        return page
    data = {**CHECKIN_FORM, "note": note, "csrfmiddlewaretoken": csrf_token(page.text)}
    return client.post("/checkin/", data=data)


def acknowledged(response: httpx.Response) -> bool:
    """A write the server confirmed: the form redirects home (302) after saving."""
    location = response.headers.get("location", "")
    return response.status_code == 302 and "sign-in" not in location and "login" not in location


# --- Private services ----------------------------------------------------------------


def start_redis(port: int, log_path: Path) -> "subprocess.Popen[bytes]":
    proc = spawn(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--daemonize", "no"],
        log_path=log_path,
    )  # fmt: skip
    wait_port(port, 15, proc)
    return proc


def as_postgres(cmd: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, user="postgres", capture_output=True, text=True, timeout=timeout, check=False,
        cwd="/",
    )  # fmt: skip


def pg_stop(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    # Whatever pg_ctl could not stop (a postmaster started by `pg_ctl restart` is its own
    # session leader, outside our groups).
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        if alive(pid) and "postgres" in cmdline(pid):
            os.kill(pid, signal.SIGKILL)


@dataclass
class PrivatePostgres:
    data: Path
    port: int
    log_path: Path

    @property
    def options(self) -> str:
        # Always passed: a bare `pg_ctl start` would try the shared server's port.
        socket_dir = self.data.parent
        return f"-p {self.port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start(self) -> None:
        self.ctl("-o", self.options, "-w", "-t", "60", "start")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/kinwell"

    def ctl(self, *args: str, timeout: float = 60) -> str:
        done = as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), *args],
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)}: {(done.stderr or done.stdout)[-500:]}")
        return done.stdout


def start_postgres(root: Path) -> PrivatePostgres:
    """A throwaway cluster owned by the postgres user, on a free port, trust auth."""
    data = root / "pgdata"
    log_path = root / "postgres.log"
    port = free_port()
    shutil.chown(root, "postgres")
    done = as_postgres(
        [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
         "--no-sync", "-E", "UTF8"],
        timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr[-500:]}")
    ledger(f"pgdata {data}")
    on_cleanup(lambda: pg_stop(data))
    pg = PrivatePostgres(data, port, log_path)
    pg.start()
    done = as_postgres(
        [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "kinwell"]
    )
    if done.returncode != 0:
        raise RuntimeError(f"createdb failed: {done.stderr[-500:]}")
    return pg


# --- Chat over WebSocket ------------------------------------------------------------


class ChatClient:
    """One member's chat socket, as the page's script uses it (same origin, session)."""

    def __init__(self, member: Member, ws_base: str, origin: str) -> None:
        self.member = member
        self.url = f"{ws_base}/ws/circles/{member.circle}/chat/"
        self.origin = origin
        self.frames: list[dict[str, Any]] = []
        self.ws: Any = None
        self.close_code: int | None = None
        self.closed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, timeout: float = 10) -> None:
        self.close_code = None
        self.closed = asyncio.Event()
        self.ws = await asyncio.wait_for(
            websockets.connect(
                self.url,
                additional_headers={"Cookie": f"{self.member.cookie_name}={self.member.session}"},
                origin=websockets.Origin(self.origin),
                open_timeout=timeout,
                ping_interval=None,
            ),
            timeout,
        )
        self._reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: Any) -> None:
        try:
            async for raw in ws:
                self.frames.append(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        finally:
            if ws is self.ws:
                self.close_code = ws.close_code if ws.close_code is not None else 1006
                self.closed.set()

    @property
    def is_open(self) -> bool:
        return self.ws is not None and not self.closed.is_set()

    async def send(self, body: str, client_id: str) -> None:
        await self.ws.send(json.dumps({"type": "send", "body": body, "client_id": client_id}))

    def has(self, kind: str, text: str = "", client_id: str = "") -> bool:
        for frame in self.frames:
            if frame.get("type") != kind:
                continue
            if client_id and frame.get("client_id") != client_id:
                continue
            if text and text not in frame.get("html", ""):
                continue
            return True
        return False

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 3)
        if self._reader is not None:
            self._reader.cancel()


async def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return predicate()


QUERY = """
import json, sys
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute(sys.argv[1], json.loads(sys.argv[2]))
    print(json.dumps([list(row) for row in cursor.fetchall()], default=str))
"""


def query(env: dict[str, str], sql: str, params: list[Any] | None = None) -> list[list[Any]]:
    """Rows of one SQL query run through Django's connection (SQLite or PostgreSQL)."""
    raw = django_script(env, QUERY, sql, json.dumps(params or []))
    rows: list[list[Any]] = json.loads(raw.strip().splitlines()[-1])
    return rows


# --- Results -------------------------------------------------------------------------


@dataclass
class Report:
    name: str
    numbers: dict[str, Any] = field(default_factory=dict)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def check(self, label: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((label, bool(ok), detail))
        log(f"{'ok  ' if ok else 'FAIL'} {label}{': ' + detail if detail else ''}")
        return bool(ok)

    def note(self, text: str) -> None:
        self.notes.append(text)
        log(f"note: {text}")

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)

    def emit(self, seconds: float) -> None:
        payload = {
            "name": self.name,
            "passed": self.passed,
            "seconds": round(seconds, 1),
            "numbers": self.numbers,
            "checks": self.checks,
            "notes": self.notes,
        }
        print(RESULT_PREFIX + json.dumps(payload), flush=True)


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"the check ran out of its {seconds} s budget")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def main(name: str, budget: int, run: Callable[[Report], None]) -> None:
    """Run one check inside its time budget; always clean up and print one result line."""
    report = Report(name)
    started = time.monotonic()
    try:
        with _alarm(budget):
            run(report)
    except BaseException as exc:
        report.check("ran to the end", False, f"{type(exc).__name__}: {exc}")
        if not isinstance(exc, TimeoutError | SystemExit | KeyboardInterrupt):
            traceback.print_exc()
    finally:
        with _alarm(60):
            cleanup_all()
    report.emit(time.monotonic() - started)
    sys.exit(0 if report.passed else 1)

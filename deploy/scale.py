"""Kinwell at scale on one machine: nginx in front of N page workers and M socket workers,
on PostgreSQL and Redis, with one task worker. Everything listens on loopback only.

    .venv/bin/python deploy/scale.py [--port 8000] [--workers 2] [--ws-workers 2]
        [--threads 2] [--database-url postgres://postgres@127.0.0.1:5432/kinwell]
        [--redis-url redis://127.0.0.1:6379/0] [--demo] [--no-tick] [--expose-upstream]

(`make scale` runs it.) What it starts, each page and socket worker a separate process on
its own port, so that each is its own nginx upstream member:

- pages: `granian --interface wsgi` with one worker each (the command line of
  `kinwell serve`), balanced by nginx with least_conn;
- WebSockets: `uvicorn config.asgi:application` with one worker each, balanced by
  least_conn; circle chat crosses workers through Redis pub/sub;
- one `kinwell tick --every 60` (reminders and nudges: exactly one per deployment);
- nginx in the foreground with deploy/nginx/kinwell.conf.template rendered into a private
  temporary folder (config, pid file, logs, temp paths); the system nginx is not touched;
- Redis: the one at --redis-url; when nothing answers there and `redis-server` is
  installed, a private one on a free loopback port for as long as this runs.

PostgreSQL must be running; the database named in the URL is created when missing, then
migrated, and static files are collected (nginx serves /static/ from that folder).
Prints the URL when every part answers; Ctrl+C (or SIGTERM) stops everything. If any part
exits on its own, everything is stopped and the exit status is 1.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx" / "kinwell.conf.template"
LOOPBACK = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kinwell"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
STATIC_ROOT_CODE = "from django.conf import settings; print(settings.STATIC_ROOT)"
# Enough for the few types under static/ when Debian's mime.types is not there.
FALLBACK_TYPES = """types {
        text/html html; text/css css; text/plain txt md; application/javascript js;
        application/json json; image/svg+xml svg; image/png png; image/gif gif;
        image/x-icon ico; font/woff woff; font/woff2 woff2;
    }"""


def fail(message: str) -> NoReturn:
    print(f"scale: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def find_nginx(given: str | None) -> str:
    found = (
        given
        or shutil.which("nginx")
        or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    )
    if not found:
        fail("nginx is not installed (Debian: apt-get install -y nginx)")
    return found


def render_nginx_conf(
    *,
    temp: Path,
    port: int,
    page_ports: Sequence[int],
    socket_ports: Sequence[int],
    static_root: Path,
    expose_upstream: bool,
) -> str:
    """The template with its placeholders filled in (nothing else is changed)."""
    mime = Path("/etc/nginx/mime.types")
    header = "            add_header X-Upstream $upstream_addr always;" if expose_upstream else ""
    values = {
        "@@TEMP@@": str(temp),
        "@@PORT@@": str(port),
        "@@PAGE_SERVERS@@": "\n".join(
            f"        server {LOOPBACK}:{p} max_fails=3 fail_timeout=10s;" for p in page_ports
        ),
        "@@SOCKET_SERVERS@@": "\n".join(
            f"        server {LOOPBACK}:{p} max_fails=3 fail_timeout=10s;" for p in socket_ports
        ),
        "@@STATIC_ROOT@@": str(static_root),
        "@@UPSTREAM_HEADER@@": header,
        "@@MIME_TYPES@@": f"include {mime};" if mime.exists() else FALLBACK_TYPES,
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(key, value)
    if left := re.findall(r"@@[A-Z_]+@@", text):
        fail(f"{TEMPLATE} has a placeholder this script does not fill: {left[0]}")
    return text


def page_command(port: int, threads: int) -> list[str]:
    # The page command line of `kinwell serve` (kinwell/cli.py), one worker per process.
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi", "config.wsgi:application",
        "--host", LOOPBACK, "--port", str(port), "--workers", "1",
        "--blocking-threads", str(threads), "--no-ws", "--log-level", "warning",
        "--respawn-failed-workers", "--respawn-interval", "0.5",
    ]  # fmt: skip


def socket_command(port: int) -> list[str]:
    # The WebSocket command line of `kinwell serve`, one worker per process.
    return [
        sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", LOOPBACK,
        "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-server-header",
        "--ws-per-message-deflate", "false",
    ]  # fmt: skip


def ensure_database(url: str) -> None:
    """Create the database named in the URL when it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        fail(f"--database-url must be a postgres:// URL (got {parts.scheme or 'none'!r})")
    name = parts.path.lstrip("/")
    if not name:
        fail("--database-url must end with the database name, e.g. /kinwell")
    host, port = parts.hostname or LOOPBACK, parts.port or 5432
    if not port_open(port, host):
        fail(f"PostgreSQL is not answering on {host}:{port} (it must be running)")
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created PostgreSQL database {name!r}", flush=True)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(f"cannot prepare database {name!r}: {first}")


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def readable_by_others(path: Path) -> bool:
    """Whether a user other than the owner can reach and list `path`."""
    try:
        if not all(part.stat().st_mode & stat.S_IXOTH for part in [path, *path.parents]):
            return False
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def redis_answers(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


def group_alive(pgid: int) -> bool:
    """Whether any process is left in the group (after its leader has been reaped, the id
    cannot be reused while the group has members)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Stack:
    """The processes this script started, stopped in reverse order of start."""

    def __init__(self, temp: Path) -> None:
        self.temp = temp
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stopping = False

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        # Each in its own session: Ctrl+C reaches this script only, which stops each part
        # (and the workers it spawned) in order.
        proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def exited(self) -> list[tuple[str, int]]:
        return [(name, code) for name, proc in self.procs if (code := proc.poll()) is not None]

    def stop(self) -> None:
        for _name, proc in reversed(self.procs):
            # The whole group, even when its leader is gone: a server's own worker
            # processes would otherwise outlive it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, proc in reversed(self.procs):
            while proc.poll() is None or group_alive(proc.pid):
                if time.monotonic() > deadline:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    break
                time.sleep(0.1)


class Interrupted(RuntimeError):
    pass


def wait_until(stack: Stack, what: str, ready: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if stack.stopping:
            raise Interrupted("stopped while starting")
        if dead := stack.exited():
            raise RuntimeError(f"{dead[0][0]} exited with status {dead[0][1]} while starting")
        time.sleep(0.25)
    raise RuntimeError(f"{what} did not answer within {timeout:.0f} s")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="deploy/scale.py", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("KINWELL_PORT") or 8000))
    parser.add_argument("--workers", type=int, default=2, help="page workers (upstreams)")
    parser.add_argument("--ws-workers", type=int, default=2, help="WebSocket workers (upstreams)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("KINWELL_THREADS") or 2))
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
    parser.add_argument("--data-dir", help="KINWELL_DATA_DIR (secret key, collected static)")
    parser.add_argument("--demo", action="store_true", help="seed demo data, print the logins")
    parser.add_argument("--no-tick", action="store_true", help="start no task worker")
    parser.add_argument("--nginx", help="path of the nginx binary (default: from PATH)")
    parser.add_argument(
        "--expose-upstream",
        action="store_true",
        help="add an X-Upstream response header naming the worker (for tests; not in production)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        fail("--port must be between 1 and 65535")
    if args.workers < 1 or args.ws_workers < 1 or args.threads < 1:
        fail("--workers, --ws-workers and --threads must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    nginx = find_nginx(args.nginx)
    if port_open(args.port):
        fail(f"port {args.port} is in use; choose another with --port")
    ensure_database(args.database_url)

    temp = Path(tempfile.mkdtemp(prefix="kinwell-scale-"))
    # nginx's workers drop to an unprivileged user when started as root: they must be able
    # to enter this folder (nginx creates its temp paths in it for that user).
    temp.chmod(0o755)
    stack = Stack(temp)

    def on_signal(signum: int, _frame: object) -> None:
        stack.stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        redis_url = args.redis_url
        if not redis_answers(redis_url):
            server = shutil.which("redis-server")
            if not server:
                raise RuntimeError(f"Redis is not answering at {redis_url} (and no redis-server)")
            redis_port = free_port()
            (temp / "redis").mkdir()
            stack.start(
                "redis",
                [server, "--bind", LOOPBACK, "--port", str(redis_port), "--save", "",
                 "--appendonly", "no", "--dir", str(temp / "redis")],
                dict(os.environ),
            )  # fmt: skip
            redis_url = f"redis://{LOOPBACK}:{redis_port}/0"
            wait_until(stack, "private Redis", lambda: redis_answers(redis_url), timeout=20)
            print(f"started a private Redis at {redis_url}", flush=True)

        site = f"http://{LOOPBACK}:{args.port}"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"KINWELL_ASGI", "KINWELL_RELAY_URL", "KINWELL_TESTING"}
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": args.database_url,
                "REDIS_URL": redis_url,
                # Browsers reach WebSockets through nginx's /ws/ on the same origin.
                "KINWELL_WS_URL": f"ws://{LOOPBACK}:{args.port}",
                "KINWELL_SITE_URL": site,
                "KINWELL_PORT": str(args.port),
            }
        )
        if args.data_dir:
            env["KINWELL_DATA_DIR"] = str(Path(args.data_dir).resolve())
        kinwell = [sys.executable, "-m", "kinwell.cli"]
        # Migrate and collect once, before any worker starts (workers never migrate).
        for step in (
            ["migrate", "--no-input", "-v", "0"],
            ["collectstatic", "--no-input", "-v", "0"],
        ):
            done = subprocess.run([*kinwell, *step], cwd=ROOT, env={**env, "KINWELL_ASGI": "0"})
            if done.returncode != 0:
                raise RuntimeError(f"`kinwell {step[0]}` failed with status {done.returncode}")
        if args.demo:
            subprocess.run(
                [*kinwell, "demo"], cwd=ROOT, env={**env, "KINWELL_ASGI": "0"}, check=True
            )
        static_root = Path(
            subprocess.run(
                [*kinwell, "shell", "-c", STATIC_ROOT_CODE],
                cwd=ROOT, env=env, check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]
        )  # fmt: skip

        if os.geteuid() == 0 and not readable_by_others(static_root):
            # nginx's workers drop to an unprivileged user (nobody) when started as root.
            raise RuntimeError(
                f"nginx's workers could not read {static_root} (a folder on the way is not "
                "readable by others): /static/ would answer 403; use --data-dir elsewhere"
            )
        page_ports = [free_port() for _ in range(args.workers)]
        socket_ports = [free_port() for _ in range(args.ws_workers)]
        if (
            len(set(page_ports + socket_ports + [args.port]))
            != len(page_ports) + len(socket_ports) + 1
        ):
            raise RuntimeError("could not find distinct free ports; try again")
        for n, port in enumerate(page_ports, start=1):
            stack.start(
                f"page worker {n}", page_command(port, args.threads), {**env, "KINWELL_ASGI": "0"}
            )
        for n, port in enumerate(socket_ports, start=1):
            stack.start(f"socket worker {n}", socket_command(port), {**env, "KINWELL_ASGI": "1"})
        if not args.no_tick:
            stack.start(
                "task worker", [*kinwell, "tick", "--every", "60"], {**env, "KINWELL_ASGI": "0"}
            )
        for port in page_ports:
            health = f"http://{LOOPBACK}:{port}/healthz"
            wait_until(stack, f"page worker on {port}", functools.partial(http_ok, health))
        for port in socket_ports:
            wait_until(stack, f"socket worker on {port}", functools.partial(port_open, port))

        conf = temp / "nginx.conf"
        conf.write_text(
            render_nginx_conf(
                temp=temp, port=args.port, page_ports=page_ports, socket_ports=socket_ports,
                static_root=static_root, expose_upstream=args.expose_upstream,
            ),
            encoding="utf-8",
        )  # fmt: skip
        nginx_cmd = [nginx, "-p", str(temp), "-c", str(conf), "-e", str(temp / "error.log")]
        check = subprocess.run([*nginx_cmd, "-t", "-q"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejected the configuration: {check.stderr.strip()}")
        stack.start("nginx", nginx_cmd, dict(os.environ))
        wait_until(stack, "nginx", lambda: http_ok(f"{site}/healthz"), timeout=30)

        layout = {
            "url": f"{site}/",
            "pages": [f"{LOOPBACK}:{p}" for p in page_ports],
            "sockets": [f"{LOOPBACK}:{p}" for p in socket_ports],
            "database": without_password(args.database_url),
            "redis": redis_url,
            "nginx_dir": str(temp),
        }  # fmt: skip
        print(
            f"Kinwell is running at {site}/ (nginx: {args.workers} page workers, "
            f"{args.ws_workers} socket workers{'' if args.no_tick else ', 1 task worker'}).",
        )
        print(f"layout: {json.dumps(layout)}")
        print("Press Ctrl+C to stop.", flush=True)
        while not stack.stopping:
            if dead := stack.exited():
                name, code = dead[0]
                print(
                    f"scale: {name} exited with status {code}; stopping everything", file=sys.stderr
                )
                return 1
            time.sleep(0.5)
        return 0
    except Interrupted:
        return 0
    except RuntimeError as exc:
        print(f"scale: {exc}", file=sys.stderr, flush=True)
        log = temp / "error.log"
        if log.exists() and log.stat().st_size:
            print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        shutil.rmtree(temp, ignore_errors=True)
        print("stopped.", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())

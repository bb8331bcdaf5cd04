"""`make scale` end to end (deploy/scale.py): nginx in front of two page workers and two
socket workers on PostgreSQL and Redis, each worker its own upstream. A chat message sent
by a member whose socket nginx gave to one socket worker reaches a member on the other;
a signed-in session keeps working whichever page worker nginx picks, including a form
read on one worker and posted to the other.

Skipped without nginx, PostgreSQL or Redis, unless KINWELL_REQUIRE_SERVICES is set (CI),
where a missing one fails. Uses its own PostgreSQL database (created, then dropped) and
Redis db 12 (flushed)."""

import asyncio
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
from pathlib import Path

import httpx
import pytest

from tests.unit.test_services import REQUIRED, need

pytestmark = [pytest.mark.services, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/12"
PASSWORD = "scale-test-password-7"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Two members of one circle, through the services (sign-up, agreements accepted).
SEED = """
import json
import django
django.setup()
from kinwell.accounts.services import user_sign_up
from kinwell.circles.models import Agreement, Circle, Membership
from kinwell.circles.services import agreement_accept, default_agreements

circle = Circle.objects.create(name="Scale", focus="grief", language="en", slot="mon 19:00")
Agreement.objects.create(circle=circle, version=1, text=default_agreements())
people = []
for n in range(2):
    user = user_sign_up(
        display_name=f"Scale {n}", email=f"scale{n}@example.test", password=PASSWORD,
        adult_confirmed=True,
    )
    Membership.objects.create(circle=circle, user=user)
    agreement_accept(user=user, circle_id=circle.pk, version=1)
    people.append({"email": user.email, "name": user.display_name})
print(json.dumps({"circle": circle.pk, "people": people}))
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(proc: subprocess.Popen, timeout: float) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def scale():
    if nginx_binary() is None:
        message = "nginx is not installed (Debian: apt-get install -y nginx)"
        if REQUIRED:
            pytest.fail(f"{message}; it is required here (KINWELL_REQUIRE_SERVICES)")
        pytest.skip(message)
    need("127.0.0.1", 5432, "PostgreSQL")
    need("127.0.0.1", 6379, "Redis")
    import psycopg
    import redis
    from psycopg import sql

    name = f"kinwell_scale_test_{os.getpid()}"
    database_url = f"postgres://postgres@127.0.0.1:5432/{name}"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    redis.Redis.from_url(REDIS_URL).flushdb()
    # Not under pytest's own temp folder (mode 0700): nginx's workers run as an unprivileged
    # user when the tests run as root and must read the collected static files here.
    tmp = Path(tempfile.mkdtemp(prefix="kinwell-scale-test-"))
    tmp.chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "KINWELL_ASGI", "KINWELL_TESTING", "KINWELL_PORT"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "KINWELL_DATA_DIR": str(tmp),
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
        }
    )
    proc = None
    log = tmp / "scale.log"
    try:
        kinwell = [sys.executable, "-m", "kinwell.cli"]
        subprocess.run([*kinwell, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        seeded = subprocess.run(
            [sys.executable, "-c", f"PASSWORD = {PASSWORD!r}\n{SEED}"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        data = json.loads(seeded.strip().splitlines()[-1])
        port = free_port()
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, str(ROOT / "deploy" / "scale.py"), "--port", str(port),
                 "--workers", "2", "--ws-workers", "2", "--database-url", database_url,
                 "--redis-url", REDIS_URL, "--data-dir", str(tmp), "--expose-upstream"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 240
        layout = None
        while time.monotonic() < deadline and proc.poll() is None:
            found = re.search(r"^layout: (.+)$", log.read_text(errors="replace"), re.M)
            if found:
                layout = json.loads(found.group(1))
                break
            time.sleep(0.5)
        if layout is None:
            pytest.fail(
                "deploy/scale.py did not start:\n" + log.read_text(errors="replace")[-3000:]
            )
        yield {"base": f"http://127.0.0.1:{port}", "layout": layout, **data}
    finally:
        if proc is not None:
            # scale.py stops nginx and every worker it started, then removes its temp folder.
            stop_group(proc, timeout=60)
            output = log.read_text(errors="replace")
            assert "stopped." in output, output[-2000:]
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(drop)
        redis.Redis.from_url(REDIS_URL).flushdb()
        shutil.rmtree(tmp, ignore_errors=True)


def sign_in(client: httpx.Client, email: str) -> list[str]:
    """The real sign-in form through nginx; returns the page upstreams it touched."""
    form = client.get("/account/sign-in/")
    found = CSRF_INPUT.search(form.text)
    assert form.status_code == 200 and found
    token = found.group(1)
    done = client.post(
        "/account/sign-in/",
        data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Origin": str(client.base_url).rstrip("/")},
    )
    assert done.status_code == 302, done.text[:500]
    return [form.headers["X-Upstream"], done.headers["X-Upstream"]]


def session_cookie(client: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def test_chat_reaches_a_member_on_the_other_socket_upstream(scale):
    import websockets

    base, sockets = scale["base"], scale["layout"]["sockets"]
    assert len(sockets) == 2
    cookies = []
    for person in scale["people"]:
        with httpx.Client(base_url=base) as client:
            sign_in(client, person["email"])
            cookies.append(session_cookie(client))
    path = f"{base.replace('http://', 'ws://')}/ws/circles/{scale['circle']}/chat/"

    async def connect(cookie: str):
        ws = await websockets.connect(
            path, additional_headers={"Cookie": cookie}, origin=base, open_timeout=10
        )
        assert ws.response is not None
        return ws, ws.response.headers["X-Upstream"]

    async def next_of(ws, kind: str) -> dict:
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["type"] == kind:
                return frame

    async def exchange():
        sender, sender_upstream = await connect(cookies[0])
        # least_conn gives the next socket to the idle worker; should another client of
        # this machine's nginx interfere, try again until the two sit on different ones.
        extra = []
        for _ in range(6):
            receiver, receiver_upstream = await connect(cookies[1])
            if receiver_upstream != sender_upstream:
                break
            extra.append(receiver)
        try:
            await asyncio.sleep(0.3)  # both subscriptions are in place in Redis
            await sender.send(
                json.dumps({"type": "send", "body": "across upstreams", "client_id": "s1"})
            )
            ack = await next_of(sender, "ack")
            arrived = await next_of(receiver, "message")
        finally:
            for ws in [sender, receiver, *extra]:
                await ws.close()
        return sender_upstream, receiver_upstream, ack, arrived

    sender_upstream, receiver_upstream, ack, arrived = asyncio.run(exchange())
    assert {sender_upstream, receiver_upstream} == set(sockets)
    assert "across upstreams" in arrived["html"]
    assert arrived["id"] == ack["id"]
    assert arrived["mine"] is False


def test_a_signed_in_session_survives_switching_page_workers(scale):
    base, pages = scale["base"], scale["layout"]["pages"]
    assert len(pages) == 2
    person = scale["people"][0]
    with httpx.Client(base_url=base) as client:
        landed = sign_in(client, person["email"])
        for _ in range(6):
            home = client.get("/home/")
            assert home.status_code == 200, home.headers.get("location")
            assert person["name"] in home.text
            landed.append(home.headers["X-Upstream"])
        assert set(landed) == set(pages)
        # A form read on one page worker and sent to the other (CSRF and session hold).
        for _ in range(6):
            form = client.get("/checkin/")
            token = CSRF_INPUT.search(form.text).group(1)
            answers = dict.fromkeys(("seen", "safe", "soothed", "secure", "stable"), "3")
            sent = client.post(
                "/checkin/",
                data={**answers, "window": "inside", "mood": "4", "csrfmiddlewaretoken": token},
                headers={"Origin": base},
            )
            assert sent.status_code == 302, sent.text[:500]
            assert sent.headers["location"] == "/home/"
            if form.headers["X-Upstream"] != sent.headers["X-Upstream"]:
                break
        assert form.headers["X-Upstream"] != sent.headers["X-Upstream"]
        # Static files come from nginx itself, not from a worker.
        css = re.search(r'href="(/static/[^"]+\.css)"', home.text).group(1)
        static = client.get(css)
        assert static.status_code == 200
        assert "X-Upstream" not in static.headers
        assert "immutable" in static.headers["cache-control"]

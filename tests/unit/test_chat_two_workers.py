"""Chat across two separate ASGI worker processes through Redis pub/sub: a message sent
to one worker reaches a member connected to the other, and is stored once. Skipped
without Redis, unless KINWELL_REQUIRE_SERVICES is set (CI)."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unit.test_services import need

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/14"

SEED = """
import json
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore
from django.utils import timezone
from kinwell.accounts.models import User
from kinwell.circles.models import Agreement, Circle, Membership

circle = Circle.objects.create(name="Two", focus="grief", language="en", slot="mon 19:00")
Agreement.objects.create(circle=circle, version=1, text="Be kind. " * 10)
cookies = []
for n in range(2):
    user = User.objects.create_user(
        email=f"w{n}@example.test", password=None, display_name=f"Worker {n}",
        adult_confirmed_at=timezone.now(),
    )
    Membership.objects.create(circle=circle, user=user, agreed_version=1, agreed_at=timezone.now())
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "kinwell.accounts.backends.KinwellBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    cookies.append(f"{settings.SESSION_COOKIE_NAME}={store.session_key}")
print(json.dumps({"circle": circle.pk, "cookies": cookies}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"worker on {port} did not start")


@pytest.fixture
def two_workers(tmp_path):
    need("127.0.0.1", 6379, "Redis")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "KINWELL_ASGI", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "KINWELL_DATA_DIR": str(tmp_path),
            "REDIS_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    subprocess.run(
        [sys.executable, "-m", "kinwell.cli", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    seeded = subprocess.run(
        [sys.executable, "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    data = json.loads(seeded.stdout.strip().splitlines()[-1])
    ports = [free_port(), free_port()]
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_port(port)
        yield data, ports, env
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)


def test_a_message_sent_through_one_worker_reaches_a_member_on_the_other(two_workers):
    import websockets

    data, ports, env = two_workers
    path = f"/ws/circles/{data['circle']}/chat/"

    async def exchange() -> tuple[dict, dict]:
        sockets = []
        for port, cookie in zip(ports, data["cookies"], strict=True):
            sockets.append(
                await websockets.connect(
                    f"ws://127.0.0.1:{port}{path}",
                    additional_headers={"Cookie": cookie},
                    origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
                )
            )
        sender, receiver = sockets
        await asyncio.sleep(0.3)  # both subscriptions are in place
        await sender.send(json.dumps({"type": "send", "body": "across workers", "client_id": "x1"}))
        replies = [json.loads(await asyncio.wait_for(sender.recv(), 5)) for _ in range(2)]
        arrived = json.loads(await asyncio.wait_for(receiver.recv(), 5))
        for ws in sockets:
            await ws.close()
        ack = next(r for r in replies if r["type"] == "ack")
        return ack, arrived

    ack, arrived = asyncio.run(exchange())
    assert arrived["type"] == "message"
    assert "across workers" in arrived["html"]
    assert arrived["id"] == ack["id"]
    count = subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup(); from kinwell.circles.models import ChatMessage;"
         "print(ChatMessage.objects.filter(body='across workers').count())"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert count == "1"


def test_a_session_works_on_either_worker(two_workers):
    import websockets

    data, ports, _env = two_workers
    path = f"/ws/circles/{data['circle']}/chat/"

    async def connect_both() -> list[bool]:
        opened = []
        for port in ports:
            ws = await websockets.connect(
                f"ws://127.0.0.1:{port}{path}",
                additional_headers={"Cookie": data["cookies"][0]},
                origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
            )
            opened.append(ws.state.name == "OPEN")
            await ws.close()
        return opened

    assert asyncio.run(connect_both()) == [True, True]

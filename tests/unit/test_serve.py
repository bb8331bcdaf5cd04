"""`kinwell serve` as a user runs it: two processes, and a page request's realtime event
reaching a WebSocket held by the other process (through the relay, or Redis)."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "serve-test-password-1"


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port + 1)) != 0 and port < 65000:
                return port


@pytest.fixture
def served(tmp_path):
    port = free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "KINWELL_ASGI"}
        },
        "KINWELL_DATA_DIR": str(tmp_path),
        "KINWELL_DEMO_PASSWORD": PASSWORD,
    }
    env.pop("KINWELL_TESTING", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kinwell.cli",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            pages_up = httpx.get(base + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            pages_up = False
        with socket.socket() as probe:
            sockets_up = probe.connect_ex(("127.0.0.1", port + 1)) == 0
        if pages_up and sockets_up:
            break
        time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("kinwell serve did not start: " + proc.stdout.read().decode()[-2000:])
    yield base, port
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode is not None


def signed_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base)
    client.get("/account/sign-in/")
    response = client.post(
        "/account/sign-in/",
        data={
            "username": email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
        headers={"Referer": base + "/account/sign-in/"},
    )
    assert response.status_code == 302, response.text[:300]
    return client


def test_serve_pages_static_and_a_push_across_processes(served):
    base, port = served
    river = signed_in(base, "river@demo.kinwell.test")
    home = river.get("/home/")
    assert home.status_code == 200 and "Welcome back, River" in home.text
    assert f"ws://127.0.0.1:{port + 1}" in home.text
    import re

    css_url = re.search(r'href="(/static/kinwell/kinwell\.[0-9a-f]+\.css)"', home.text)
    assert css_url, "static files are served with hashed names (whitenoise manifest)"
    css = river.get(css_url.group(1))
    assert css.status_code == 200 and "max-age" in css.headers.get("cache-control", "")
    assert river.get("/no-such-page/").status_code == 404

    cookie = f"sessionid={river.cookies['sessionid']}"

    async def listen_then_change_password() -> str:
        async with websockets.connect(
            f"ws://127.0.0.1:{port + 1}/ws/notifications/",
            additional_headers={"Cookie": cookie, "Origin": base},
        ) as socket_:
            await asyncio.sleep(0.3)
            token = river.cookies["csrftoken"]
            response = await asyncio.to_thread(
                river.post,
                "/account/security/password/",
                data={
                    "old_password": PASSWORD,
                    "new_password1": "another long passphrase",
                    "new_password2": "another long passphrase",
                    "csrfmiddlewaretoken": token,
                },
                headers={"Referer": base + "/account/security/password/"},
            )
            assert response.status_code == 302
            return str(await asyncio.wait_for(socket_.recv(), timeout=10))

    html = asyncio.run(listen_then_change_password())
    assert "Your password was changed" in html


def test_anonymous_websocket_is_refused(served):
    base, port = served

    async def connect() -> int:
        async with websockets.connect(
            f"ws://127.0.0.1:{port + 1}/ws/notifications/", additional_headers={"Origin": base}
        ) as socket_:
            try:
                await asyncio.wait_for(socket_.recv(), timeout=5)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else 0
        return 0

    try:
        code = asyncio.run(connect())
    except websockets.InvalidStatus as refused:
        code = refused.response.status_code
    assert code in (4401, 403)


def test_the_relay_refuses_requests_without_the_token(served):
    _, port = served
    response = httpx.post(
        f"http://127.0.0.1:{port + 1}/internal/relay/", json={"group": "x", "message": {}}
    )
    assert response.status_code == 403

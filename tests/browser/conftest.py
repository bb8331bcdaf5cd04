"""Browser tests: Playwright driving Debian's Chromium, axe-core on every page visited."""

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CHROMIUM = "/usr/bin/chromium"
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module scope: Playwright's sync API keeps an event loop on the main thread while it
# runs, which would break async_to_sync in the tests that come after.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("KINWELL_REQUIRE_SERVICES"):
            pytest.fail("Chromium is required for browser tests: apt-get install chromium")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def check_axe(page) -> None:
    """Fail on any axe-core violation on the current page (WCAG 2.1 A and AA rules)."""
    page.evaluate(AXE)
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]
    assert not violations, f"axe violations on {page.url}:\n{json.dumps(violations, indent=1)}"


@pytest.fixture
def asgi_server(settings, live_server):
    """The WebSocket half of `kinwell serve`: uvicorn with config.asgi in a thread, wired
    like the real thing (pages relay their realtime events to it when there is no Redis)."""
    import copy
    import socket
    import threading
    import time

    import uvicorn
    from channels.layers import get_channel_layer

    had_asgi_flag = "KINWELL_ASGI" in os.environ
    from config.asgi import application

    if not had_asgi_flag:
        # config.asgi marks its process as ASGI; this test process is not one.
        os.environ.pop("KINWELL_ASGI", None)
    from kinwell.core.layers import RELAY_PATH, RelayChannelLayer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    # Same host name as the pages (live_server uses localhost), so the browser sends the
    # session cookie with the WebSocket handshake, as it does behind nginx.
    ws_url = f"ws://localhost:{port}"
    settings.WS_URL = ws_url
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["connect-src"] = ["'self'", ws_url]
    settings.CONTENT_SECURITY_POLICY = policy
    layer = get_channel_layer()
    if isinstance(layer, RelayChannelLayer):
        layer.relay_url = f"http://127.0.0.1:{port}{RELAY_PATH}"
    yield ws_url
    if isinstance(layer, RelayChannelLayer):
        layer.relay_url = ""
    server.should_exit = True
    thread.join(timeout=10)

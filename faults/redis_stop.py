"""Fault 2: Redis dies during chat, then comes back on the same port.

A private `redis-server` (never the machine's shared one) backs `kinwell serve` with two
WebSocket workers. Four members of a circle are chatting. Then Redis gets SIGKILL:

- a post and a chat message sent through the page forms (no script) are stored (the
  cache misses instead of failing, kinwell/core/cache.py); never a 500, never a
  traceback; and what the page says matches the database;
- an open socket that sends is told (an error frame or a close), and whatever it was
  told matches the database;
- the chat page's script says "reconnecting" in its live status region when the socket
  drops, retries with growing, spread-out waits, says when it is back and resends what
  was on its way (faults/chat_page_script.js runs kinwell.js in Node);

then Redis starts again on the same port and, without restarting Kinwell, a message sent
by one member reaches every other member, and the forms save again.

    .venv/bin/python -m faults.redis_stop
"""

import asyncio
import contextlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from faults import harness as h

SIZE = 4
SCRIPT = h.ROOT / "kinwell" / "static" / "kinwell" / "kinwell.js"
TEMPLATE = h.ROOT / "kinwell" / "circles" / "templates" / "circles" / "circle.html"


def form_outcome(response: httpx.Response) -> str:
    """'stored' (redirect after saving), 'refused' (a clear page), or what went wrong."""
    if h.acknowledged(response):
        return "stored"
    body = response.text
    if response.status_code >= 500 and response.status_code != 503:
        return f"HTTP {response.status_code}"
    if h.shows_traceback(body):
        return "traceback"
    if response.status_code == 503 and "was not saved" in body:
        return "refused"
    return f"HTTP {response.status_code} (unclear)"


def check_page_script(report: h.Report) -> None:
    match = re.search(r"<[^>]*data-chat-status[^>]*>", TEMPLATE.read_text())
    tag = match.group(0) if match else ""
    report.check(
        "the chat status line is a live region", 'role="status"' in tag or "aria-live" in tag, tag
    )
    node = shutil.which("node")
    if node is None:
        report.check("chat page script behaviour (needs node)", False, "node not installed")
        return
    done = subprocess.run(
        [node, str(Path(__file__).with_name("chat_page_script.js")), str(SCRIPT)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        report.check("chat page script runs", False, done.stderr[-500:])
        return
    seen: dict[str, Any] = json.loads(done.stdout)
    delays = seen["delays"]
    report.numbers["script_retry_delays_ms"] = delays
    report.check("script says 'reconnecting' when the socket drops",
                 "reconnecting" in seen["after_drop"].lower(), seen["after_drop"])  # fmt: skip
    report.check(
        "script retries with growing, spread-out waits",
        all(isinstance(d, int) for d in delays)
        and 1000 <= delays[0] <= 1500 and 2000 <= delays[1] <= 3000 and 4000 <= delays[2] <= 6000,
        f"{delays} ms",
    )  # fmt: skip
    report.check("while down, the form posts to the page instead", seen["form_posts_while_down"])
    report.check("script says when chat is back", "back" in seen["after_reopen"],
                 seen["after_reopen"])  # fmt: skip
    report.check("a message on its way is resent with the same id", seen["resent_same_id"])
    report.check("a 44xx close stops retrying and says why",
                 seen["retries_after_4403"] == 0 and "no longer" in seen["after_4403"])  # fmt: skip


def everyone_has(clients: list[h.ChatClient], text: str) -> Callable[[], bool]:
    return lambda: all(c.has("message", text) for c in clients)


def page_form(member: h.Member, base: str) -> tuple[httpx.Client, str]:
    client = member.client(base)
    page = client.get(f"/circles/{member.circle}/")
    if page.status_code != 200:
        raise RuntimeError(f"circle page answered {page.status_code}")
    return client, h.csrf_token(page.text)


async def scenario(report: h.Report, redis: list[Any], redis_port: int, root: Path,
                   base: str, ws_base: str, members: list[h.Member]) -> dict[str, Any]:  # fmt: skip
    clients = [h.ChatClient(m, ws_base, base) for m in members]
    outcome: dict[str, Any] = {"stored": {}, "refused": {}}
    try:
        for client in clients:
            await client.connect()
        await clients[0].send("before the outage", "before-0")
        ok = await h.wait_until(everyone_has(clients, "before the outage"), 10)
        report.check("chat works before the outage", ok)
        outcome["stored"]["before-0"] = "before the outage"

        # Members with the circle page open (CSRF token in hand) when Redis dies.
        poster, post_token = page_form(members[1], base)
        chatter, chat_token = page_form(members[2], base)

        h.kill_group(redis[0])
        h.log("Redis killed (SIGKILL)")
        await asyncio.sleep(1)
        with contextlib.closing(poster), contextlib.closing(chatter):
            post = poster.post(f"/circles/{members[1].circle}/posts/",
                               data={"body": "a post during the outage",
                                     "csrfmiddlewaretoken": post_token})  # fmt: skip
            chat = chatter.post(f"/circles/{members[2].circle}/chat/",
                                data={"body": "a chat line during the outage",
                                      "client_id": "during-form",
                                      "csrfmiddlewaretoken": chat_token})  # fmt: skip
        post_result, chat_result = form_outcome(post), form_outcome(chat)
        report.numbers["outage_post_form"] = f"{post_result} ({post.status_code})"
        report.numbers["outage_chat_form"] = f"{chat_result} ({chat.status_code})"
        for result, key, body in ((post_result, "post", "a post during the outage"),
                                  (chat_result, "during-form",
                                   "a chat line during the outage")):  # fmt: skip
            if result in ("stored", "refused"):
                outcome[result][key] = body
        report.check("post form during the outage: stored",
                     post_result == "stored", post_result)  # fmt: skip
        report.check("chat form during the outage: stored",
                     chat_result == "stored", chat_result)  # fmt: skip
        if "retry-after" in post.headers:
            report.numbers["retry_after"] = post.headers["retry-after"]

        # A socket that sends during the outage must be told what happened.
        sender = clients[3]
        await sender.send("a socket line during the outage", "during-socket")
        await h.wait_until(
            lambda: (
                sender.has("ack", client_id="during-socket")
                or sender.has("error", client_id="during-socket")
                or not sender.is_open
            ),
            10,
        )
        if sender.has("ack", client_id="during-socket"):
            told = "acknowledged"
            outcome["stored"]["during-socket"] = "a socket line during the outage"
        elif sender.has("error", client_id="during-socket"):
            told = "error: " + next(f["message"] for f in sender.frames
                                    if f.get("client_id") == "during-socket")  # fmt: skip
            outcome["refused"]["during-socket"] = "a socket line during the outage"
        elif not sender.is_open:
            told = f"closed ({sender.close_code})"
            outcome["unknown"] = {"during-socket": "a socket line during the outage"}
        else:
            told = "nothing"
        report.numbers["outage_socket_send"] = told
        report.check("a socket that sends during the outage is told or closed",
                     told != "nothing", told)  # fmt: skip
        idle_open = sum(c.is_open for c in clients[:3])
        report.numbers["idle_sockets_open_during_outage"] = f"{idle_open}/3"
        if idle_open:
            report.note(
                "sockets that stay quiet during a Redis outage stay open and are not told "
                "(the consumer only learns of it when it sends); lines stored meanwhile "
                "are not pushed to them live and show when the page is next loaded"
            )

        # A new socket during the outage must not hang: refused or closed promptly.
        newcomer = h.ChatClient(members[0], ws_base, base)
        started = time.monotonic()
        try:
            await newcomer.connect(timeout=10)
            await h.wait_until(lambda: not newcomer.is_open, 3)
            refused = not newcomer.is_open
        except Exception:
            refused = True
        finally:
            await newcomer.close()
        report.check("a new socket during the outage is refused promptly (script retries)",
                     refused and time.monotonic() - started < 10)  # fmt: skip

        redis[0] = h.start_redis(redis_port, root / "redis-again.log")
        h.log("Redis started again on the same port")
        back_at = time.monotonic()

        for client in clients:
            if not client.is_open:
                for _ in range(20):
                    try:
                        await client.connect()
                        break
                    except Exception:
                        await asyncio.sleep(0.5)
        await asyncio.sleep(1)  # the layer's receiver reconnects within a second

        # Without restarting Kinwell: a message sent by one member reaches every other.
        for attempt in range(10):
            tag = f"after the outage #{attempt}"
            await clients[1].send(tag, f"after-{attempt}")
            ok = await h.wait_until(everyone_has(clients, tag), 3)
            if ok:
                outcome["stored"][f"after-{attempt}"] = tag
                break
        report.numbers["chat_recovered_after_s"] = round(time.monotonic() - back_at, 1)
        report.numbers["chat_attempts_after_restart"] = attempt + 1
        report.check("after Redis is back, a message reaches every other member", ok,
                     f"attempt {attempt + 1}")  # fmt: skip
        report.check("... on the first try (no message lost to a stale connection)",
                     attempt == 0)  # fmt: skip

        poster, token = page_form(members[1], base)
        with contextlib.closing(poster):
            again = poster.post(f"/circles/{members[1].circle}/posts/",
                                data={"body": "a post after the outage",
                                      "csrfmiddlewaretoken": token})  # fmt: skip
        report.check("after Redis is back, the post form saves", h.acknowledged(again),
                     f"HTTP {again.status_code}")  # fmt: skip
        if h.acknowledged(again):
            outcome["stored"]["post-after"] = "a post after the outage"
        return outcome
    finally:
        for client in clients:
            await client.close()


def run(report: h.Report) -> None:
    check_page_script(report)
    root = h.workdir("redis")
    redis_port = h.free_port()
    redis = [h.start_redis(redis_port, root / "redis.log")]
    env = h.kinwell_env(root, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")
    h.kinwell(env, "migrate", "-v", "0")
    members = h.seed_members(env, SIZE, "rs", in_circle=True)
    port = h.free_port(2)
    serve = h.start_kinwell(env, port, root / "serve.log", workers=1, ws_workers=2)
    time.sleep(1)
    outcome = asyncio.run(
        scenario(report, redis, redis_port, root, f"http://127.0.0.1:{port}",
                 f"ws://127.0.0.1:{port + 1}", members)
    )  # fmt: skip
    report.check("kinwell serve ran throughout (never restarted)", serve.poll() is None)
    h.stop_group(serve)

    # What the members were told matches the database.
    messages = {row[0]: row[1] for row in h.query(env, "SELECT body, COUNT(*) FROM "
                "circles_chatmessage GROUP BY body")}  # fmt: skip
    posts = {row[0]: row[1] for row in h.query(env, "SELECT body, COUNT(*) FROM "
             "circles_post GROUP BY body")}  # fmt: skip
    stored_ok = all(
        (posts if key.startswith("post") else messages).get(body) == 1
        for key, body in outcome["stored"].items()
    )
    refused_ok = all(
        (posts if key == "post" else messages).get(body, 0) == 0
        for key, body in outcome["refused"].items()
    )
    report.numbers["told_stored"] = len(outcome["stored"])
    report.numbers["told_not_saved"] = len(outcome["refused"])
    report.check("everything acknowledged is stored exactly once", stored_ok)
    report.check("everything refused as 'not saved' is really not stored", refused_ok)


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        h.main("Redis stopped during chat", 120, run)


if __name__ == "__main__":
    main()

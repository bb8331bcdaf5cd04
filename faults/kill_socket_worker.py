"""Fault 1b: kill -9 a WebSocket worker (uvicorn, ASGI) while a circle chats.

A private Redis (never the machine's shared one) lets `kinwell serve` run two socket
workers. Eight members of one circle chat; every member sends a message and every other
member must receive it. Then one uvicorn worker gets SIGKILL. Asserted:

- the sockets it held are closed (the page's script then reconnects: 1006 is not final);
- uvicorn starts a new worker, every client reconnects, and a second round of messages
  reaches every other member;
- every acknowledged message is in the database exactly once.

    .venv/bin/python -m faults.kill_socket_worker
"""

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import httpx

from faults import harness as h

SIZE = 8


def uvicorn_workers(serve_pid: int) -> tuple[int, list[int]]:
    for child in h.children(serve_pid):
        if "uvicorn" in h.cmdline(child):
            workers = [
                w
                for w in h.children(child)
                if h.alive(w) and "resource_tracker" not in h.cmdline(w)
            ]
            return child, workers
    raise RuntimeError("no uvicorn process under kinwell serve")


async def chat_round(
    report: h.Report, clients: list[h.ChatClient], tag: str
) -> tuple[int, int, dict[str, str]]:
    """Everyone sends one message; returns (acked, delivered, acked bodies by client_id)."""
    bodies: dict[str, str] = {}
    for n, client in enumerate(clients):
        client_id = f"{tag}-{n}"
        bodies[client_id] = f"{tag} message from member {client.member.id}"
        await client.send(bodies[client_id], client_id)
    await h.wait_until(
        lambda: all(
            other.has("message", bodies[f"{tag}-{n}"])
            for n, _ in enumerate(clients)
            for other in clients
        ),
        timeout=20,
    )
    acked = {
        f"{tag}-{n}": bodies[f"{tag}-{n}"]
        for n, client in enumerate(clients)
        if client.has("ack", client_id=f"{tag}-{n}")
    }
    delivered = sum(
        1
        for n, sender in enumerate(clients)
        for other in clients
        if other is not sender and other.has("message", bodies[f"{tag}-{n}"])
    )
    expected = len(clients) * (len(clients) - 1)
    report.numbers[f"{tag}_acked"] = f"{len(acked)}/{len(clients)}"
    report.numbers[f"{tag}_delivered"] = f"{delivered}/{expected}"
    return len(acked), delivered, acked


async def scenario(report: h.Report, serve_pid: int, ws_base: str, origin: str,
                   members: list[h.Member]) -> dict[str, str]:  # fmt: skip
    clients = [h.ChatClient(m, ws_base, origin) for m in members]
    try:
        for client in clients:
            await client.connect()
        acked, delivered, bodies = await chat_round(report, clients, "before")
        expected = SIZE * (SIZE - 1)
        report.check("before the kill: every message acknowledged and delivered",
                     acked == SIZE and delivered == expected,
                     f"{acked}/{SIZE} acked, {delivered}/{expected} delivered")  # fmt: skip

        _manager, before = uvicorn_workers(serve_pid)
        report.numbers["socket_workers"] = len(before)
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        h.log(f"SIGKILL socket worker {victim}")
        await h.wait_until(lambda: sum(not c.is_open for c in clients) > 0, timeout=5)
        await asyncio.sleep(1)
        dropped = [c for c in clients if not c.is_open]
        report.numbers["sockets_dropped"] = len(dropped)
        report.numbers["close_codes"] = sorted({int(c.close_code or 0) for c in dropped})
        report.check(
            "sockets on the killed worker are closed (not left hanging)",
            bool(dropped),
            f"{len(dropped)} of {SIZE} closed, codes {report.numbers['close_codes']}",
        )
        report.check(
            "their close code tells the script to reconnect (not 44xx)",
            all(not 4400 <= (c.close_code or 0) < 4500 for c in dropped),
        )

        after: list[int] = []

        def respawned() -> bool:
            nonlocal after
            _, after = uvicorn_workers(serve_pid)
            return len(after) == len(before) and victim not in after

        ok = await h.wait_until(respawned, timeout=20, step=0.3)
        report.check("uvicorn started a new socket worker", ok, f"{before} -> {after}")

        # Reconnect with backoff, as the page's script does.
        started = time.monotonic()
        for client in dropped:
            delay = 0.5
            for _ in range(8):
                try:
                    await client.connect()
                    break
                except Exception:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 4)
        report.numbers["reconnect_s"] = round(time.monotonic() - started, 1)
        report.check("every dropped client reconnected", all(c.is_open for c in clients))

        acked, delivered, more = await chat_round(report, clients, "after")
        report.check("after the kill: every message acknowledged and delivered",
                     acked == SIZE and delivered == expected,
                     f"{acked}/{SIZE} acked, {delivered}/{expected} delivered")  # fmt: skip
        return {**bodies, **more}
    finally:
        for client in clients:
            await client.close()


def probe_single_worker(report: h.Report, root: Path) -> None:
    """Without Redis there is one socket process and no supervisor above it: what then?"""
    data = root / "single"
    data.mkdir()
    env = h.kinwell_env(data)
    h.kinwell(env, "migrate", "-v", "0")
    port = h.free_port(2)
    serve = h.start_kinwell(env, port, root / "single-serve.log", workers=1, ws_workers=1)
    try:
        uvicorn = next(c for c in h.children(serve.pid) if "uvicorn" in h.cmdline(c))
        os.kill(uvicorn, signal.SIGKILL)
        time.sleep(3)
        try:
            pages = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            pages = False
        report.numbers["single_socket_worker_kill_keeps_pages"] = pages
        if not pages:
            report.note(
                "with one socket worker (no Redis) uvicorn has no supervisor: killing it makes "
                "kinwell serve stop everything, pages included (exit status 1, for systemd "
                "or another supervisor to restart)"
            )
    finally:
        h.stop_group(serve)


def run(report: h.Report) -> None:
    root = h.workdir("socket-worker")
    probe_single_worker(report, root)
    redis_port = h.free_port()
    h.start_redis(redis_port, root / "redis.log")
    env = h.kinwell_env(root, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")
    h.kinwell(env, "migrate", "-v", "0")
    members = h.seed_members(env, SIZE, "ksw", in_circle=True)
    port = h.free_port(2)
    serve = h.start_kinwell(env, port, root / "serve.log", workers=1, ws_workers=2)
    time.sleep(1)
    bodies = asyncio.run(
        scenario(report, serve.pid, f"ws://127.0.0.1:{port + 1}", f"http://127.0.0.1:{port}",
                 members)
    )  # fmt: skip
    report.check("kinwell serve still running", serve.poll() is None)
    h.stop_group(serve)
    rows = h.query(
        env,
        "SELECT client_id, body, COUNT(*) FROM circles_chatmessage GROUP BY client_id, body",
    )
    stored = {row[0]: (row[1], int(row[2])) for row in rows}
    missing = [cid for cid in bodies if cid not in stored or stored[cid][0] != bodies[cid]]
    doubled = [cid for cid, (_, n) in stored.items() if n > 1]
    report.numbers["acked_messages"] = len(bodies)
    report.numbers["stored_messages"] = sum(n for _, n in stored.values())
    report.check(
        "every acknowledged message is stored exactly once",
        not missing and not doubled,
        f"{len(bodies)} acknowledged, {len(missing)} missing, {len(doubled)} doubled",
    )


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        h.main("kill -9 socket worker", 120, run)


if __name__ == "__main__":
    main()

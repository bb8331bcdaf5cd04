"""Fault 3: PostgreSQL restarts while members are using Kinwell.

A private cluster (initdb into a temporary folder, run as the postgres user on a free
port; never the machine's shared server) backs `kinwell serve`. Four threads of members
open their check-in page and post it, without pause. Then:

A. `pg_ctl restart -m fast` (what an operator or a package upgrade does);
B. `pg_ctl stop -m fast`, three seconds down, `pg_ctl start` (a longer outage, so the
   "database is away" answer is surely seen).

Asserted: every request that fails while the database is away gets a clean 503 page
with Retry-After and no traceback (never a 500, never a dropped connection); once the
database is back, requests succeed again without restarting Kinwell (the page workers'
persistent connections and the socket workers' pool recover); a chat message over a
socket is acknowledged after the restarts; every acknowledged check-in is stored.

    .venv/bin/python -m faults.postgres_restart
"""

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field
from functools import partial

import httpx

from faults import harness as h

THREADS = 4
MEMBERS = 40


@dataclass
class Outcome:
    at: float
    kind: str  # "ok", "503", "HTTP nnn", "traceback", "dropped"


@dataclass
class Load:
    base: str
    members: list[h.Member]
    stop: threading.Event = field(default_factory=threading.Event)
    outcomes: list[Outcome] = field(default_factory=list)
    acked: dict[int, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    retry_after: set[str] = field(default_factory=set)

    def record(self, response: httpx.Response | None) -> bool:
        if response is None:
            kind = "dropped"
        elif response.status_code in (200, 302) and not h.shows_traceback(response.text):
            kind = "ok"
        elif h.shows_traceback(response.text):
            kind = "traceback"
        elif response.status_code == 503 and "right back" in response.text:
            kind = "503"
            self.retry_after.add(response.headers.get("retry-after", ""))
        else:
            kind = f"HTTP {response.status_code}"
        with self.lock:
            self.outcomes.append(Outcome(time.monotonic(), kind))
        return kind == "ok"

    def worker(self, share: list[h.Member]) -> None:
        clients = {m.id: m.client(self.base, timeout=20) for m in share}
        n = 0
        try:
            while not self.stop.is_set():
                member = share[n % len(share)]
                n += 1
                client = clients[member.id]
                note = f"postgres fault, member {member.id}, round {n}"
                try:
                    page = client.get("/checkin/")
                except httpx.HTTPError:
                    self.record(None)
                    continue
                if not self.record(page) or page.status_code != 200:
                    time.sleep(0.05)
                    continue
                data = {**h.CHECKIN_FORM, "note": note,
                        "csrfmiddlewaretoken": h.csrf_token(page.text)}  # fmt: skip
                try:
                    saved = client.post("/checkin/", data=data)
                except httpx.HTTPError:
                    self.record(None)
                    continue
                self.record(saved)
                if h.acknowledged(saved):
                    with self.lock:
                        self.acked[member.id] = note
        finally:
            for client in clients.values():
                client.close()


def summarize(load: Load, start: float, end: float) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in load.outcomes:
        if start <= outcome.at < end:
            counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
    return counts


def first_ok_after(load: Load, moment: float) -> float | None:
    times = [o.at for o in load.outcomes if o.at >= moment and o.kind == "ok"]
    return min(times) - moment if times else None


async def socket_message(members: list[h.Member], ws_base: str, origin: str, tag: str) -> bool:
    """One member sends over the chat socket; True when acknowledged (stored)."""
    client = h.ChatClient(members[0], ws_base, origin)
    try:
        for _ in range(10):
            with contextlib.suppress(Exception):
                await client.connect()
                break
            await asyncio.sleep(0.5)
        for attempt in range(3):
            client_id = f"{tag}-{attempt}"
            await client.send(tag, client_id)
            if await h.wait_until(partial(client.has, "ack", client_id=client_id), 5):
                return True
        return False
    finally:
        await client.close()


def run(report: h.Report) -> None:
    root = h.workdir("postgres")
    pg = h.start_postgres(root)
    h.log(f"private PostgreSQL on port {pg.port}")
    data = root / "kinwell"
    data.mkdir()
    env = h.kinwell_env(data, DATABASE_URL=pg.url)
    h.kinwell(env, "migrate", "-v", "0")
    members = h.seed_members(env, MEMBERS, "pg", in_circle=True)
    port = h.free_port(2)
    serve = h.start_kinwell(env, port, root / "serve.log", workers=2, ws_workers=1)
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port + 1}"
    pids_before = sorted(h.descendants(serve.pid))

    report.check("a chat message is stored over a socket before the restarts",
                 asyncio.run(socket_message(members, ws_base, base, "before")))  # fmt: skip

    load = Load(base, members)
    threads = [
        threading.Thread(target=load.worker, args=(members[i::THREADS],), daemon=True)
        for i in range(THREADS)
    ]
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        time.sleep(5)
        a_start = time.monotonic()
        pg.ctl("-m", "fast", "-w", "-t", "60", "restart")
        a_back = time.monotonic()
        h.log(f"A: pg_ctl restart -m fast took {a_back - a_start:.1f} s")
        time.sleep(6)
        b_start = time.monotonic()
        pg.ctl("-m", "fast", "-w", "-t", "60", "stop")
        time.sleep(3)
        pg.start()
        b_back = time.monotonic()
        h.log(f"B: stopped, 3 s down, started again: {b_back - b_start:.1f} s")
        time.sleep(8)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)
    t_end = time.monotonic()

    before = summarize(load, t0, a_start)
    during_a = summarize(load, a_start, a_back + 1)
    after_a = summarize(load, a_back + 1, b_start)
    during_b = summarize(load, b_start, b_back + 1)
    after_b = summarize(load, b_back + 1, t_end)
    everything = summarize(load, t0, t_end)
    report.numbers.update({
        "requests": sum(everything.values()),
        "before": before, "restart_A": during_a, "after_A": after_a,
        "stop_start_B": during_b, "after_B": after_b,
        "recovered_after_A_s": round(first_ok_after(load, a_back) or -1, 2),
        "recovered_after_B_s": round(first_ok_after(load, b_back) or -1, 2),
        "retry_after": sorted(load.retry_after),
    })  # fmt: skip
    bad = {k: v for k, v in everything.items() if k not in ("ok", "503")}
    report.check("before: every request succeeds", set(before) == {"ok"}, str(before))
    report.check(
        "while the database is away: failures are clean 503 pages, never 500/traceback/drop",
        not bad,
        f"unexpected: {bad}" if bad else f"A {during_a}, B {during_b}",
    )
    report.check("the 3 s outage was seen as 503 pages (the clean path was exercised)",
                 during_b.get("503", 0) > 0, str(during_b))  # fmt: skip
    report.check("503 pages say when to retry", load.retry_after == {"30"} or not load.retry_after,
                 str(sorted(load.retry_after)))  # fmt: skip
    report.check("after restart A, requests succeed again (no Kinwell restart)",
                 after_a.get("ok", 0) > 0 and set(after_a) == {"ok"}, str(after_a))  # fmt: skip
    report.check("after stop/start B, requests succeed again (no Kinwell restart)",
                 after_b.get("ok", 0) > 0 and set(after_b) == {"ok"}, str(after_b))  # fmt: skip

    report.check("a chat message is stored over a socket after the restarts (pool recovered)",
                 asyncio.run(socket_message(members, ws_base, base, "after")))  # fmt: skip
    same = serve.poll() is None and sorted(h.descendants(serve.pid)) == pids_before
    report.check("kinwell serve and its workers were never restarted", same)
    h.stop_group(serve)

    rows = h.query(env, "SELECT user_id, note FROM checkins_checkin")
    stored = {int(r[0]): r[1] for r in rows}
    missing = [uid for uid, note in load.acked.items() if stored.get(uid) != note]
    report.numbers["acked_checkins"] = len(load.acked)
    report.check("every acknowledged check-in is stored (its last acknowledged version)",
                 not missing, f"{len(missing)} missing of {len(load.acked)}")  # fmt: skip


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        h.main("PostgreSQL restarted under load", 120, run)


if __name__ == "__main__":
    main()

"""Fault 1a: kill -9 a page worker (granian, WSGI) while 1,000 check-ins are posted.

Check-ins are posted to the page server through the real form (GET for the CSRF token,
then POST, with each member's own session). One check-in per member and day is what the
model allows, so 1,000 members post one each. After a quarter have been acknowledged,
one granian worker gets SIGKILL. Then:

- every check-in the server acknowledged (302 after saving) is in the database, exactly
  once, with the note that was sent;
- the page server keeps serving: granian starts a new worker, and the check-ins that
  failed while the worker died succeed when posted again;
- first, a short probe of `kinwell serve` exactly as shipped (no extra settings): does
  the page server survive losing a worker at all? granian's default is to shut the whole
  server down when any worker exits, and `kinwell serve` then stops everything.

    .venv/bin/python -m faults.kill_page_worker [--members 1000]
"""

import argparse
import contextlib
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from faults import harness as h

VERIFY = """
import json, sys
import django
django.setup()
from django.db.models import Count
from kinwell.checkins.models import CheckIn
ids = json.loads(sys.stdin.read())
rows = CheckIn.objects.filter(user_id__in=ids).values_list("user_id", "note")
dups = (CheckIn.objects.filter(user_id__in=ids).values("user_id", "day")
        .annotate(n=Count("id")).filter(n__gt=1).count())
print(json.dumps({"rows": [list(r) for r in rows], "duplicates": dups}))
"""


def verify(env: dict[str, str], ids: list[int]) -> tuple[dict[int, list[str]], int]:
    import json
    import subprocess

    done = subprocess.run(
        [h.PYTHON, "-c", VERIFY], input=json.dumps(ids), cwd=h.ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"verification failed: {done.stderr[-800:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    notes: dict[int, list[str]] = {}
    for user_id, note in data["rows"]:
        notes.setdefault(user_id, []).append(note)
    return notes, int(data["duplicates"])


def granian_workers(serve_pid: int) -> tuple[int, list[int]]:
    for child in h.children(serve_pid):
        if "granian" in h.cmdline(child):
            return child, [w for w in h.children(child) if h.alive(w)]
    raise RuntimeError("no granian process under kinwell serve")


def probe_default(report: h.Report, root: Path) -> bool:
    """`kinwell serve` as shipped: kill one of two page workers; is it still serving?"""
    data = root / "probe"
    data.mkdir()
    env = h.kinwell_env(data)
    h.kinwell(env, "migrate", "-v", "0")
    port = h.free_port(2)
    serve = h.start_kinwell(env, port, root / "probe-serve.log", workers=2)
    try:
        _, workers = granian_workers(serve.pid)
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(5)
        try:
            status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
        except httpx.HTTPError:
            status = 0
        survived = serve.poll() is None and status == 200
        report.numbers["default_serve_survives_worker_kill"] = survived
        return report.check(
            "kinwell serve as shipped keeps serving after a page worker is killed",
            survived,
            ""
            if survived
            else "granian exits when a worker dies (respawn is off by "
            "default) and kinwell serve then stops everything; fix: pass "
            "--respawn-failed-workers to granian in cmd_serve (or set "
            "GRANIAN_RESPAWN_FAILED_WORKERS=1)",
        )
    finally:
        h.stop_group(serve)


def run(report: h.Report, members_wanted: int) -> None:
    root = h.workdir("page-worker")
    shipped_ok = probe_default(report, root)

    data = root / "data"
    data.mkdir()
    extra = {} if shipped_ok else {"GRANIAN_RESPAWN_FAILED_WORKERS": "1"}
    if extra:
        report.note("load run uses GRANIAN_RESPAWN_FAILED_WORKERS=1 (the configuration fix)")
    env = h.kinwell_env(data, **extra)
    h.kinwell(env, "migrate", "-v", "0")
    h.log(f"seeding {members_wanted} members with sessions")
    members = h.seed_members(env, members_wanted, "kpw")
    port = h.free_port(2)
    serve = h.start_kinwell(env, port, root / "serve.log", workers=2, threads=2)
    base = f"http://127.0.0.1:{port}"
    granian, before = granian_workers(serve.pid)
    report.numbers["page_workers"] = len(before)

    lock = threading.Lock()
    acked: dict[int, str] = {}
    failed: dict[int, str] = {}
    errors_5xx_with_traceback = 0
    kill_at = max(1, members_wanted // 4)
    killed: list[int] = []

    def post(member: h.Member, attempt: int) -> None:
        nonlocal errors_5xx_with_traceback
        note = f"fault check-in of member {member.id}, attempt {attempt}"
        try:
            with member.client(base) as client:
                response = h.post_checkin(client, note)
            outcome = "ack" if h.acknowledged(response) else f"HTTP {response.status_code}"
            if response.status_code >= 500 and h.shows_traceback(response.text):
                with lock:
                    errors_5xx_with_traceback += 1
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        with lock:
            if outcome == "ack":
                acked[member.id] = note
                failed.pop(member.id, None)
            else:
                failed[member.id] = outcome
            if not killed and len(acked) >= kill_at:
                victim = before[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                h.log(f"SIGKILL page worker {victim} after {len(acked)} acknowledged")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda m: post(m, 1), members))
    first_pass = time.monotonic() - started
    report.numbers["posted"] = len(members)
    report.numbers["acked_first_pass"] = len(acked)
    report.numbers["failed_first_pass"] = len(failed)
    report.numbers["first_pass_s"] = round(first_pass, 1)
    failure_kinds: dict[str, int] = {}
    for kind in failed.values():
        failure_kinds[kind] = failure_kinds.get(kind, 0) + 1
    report.numbers["failure_kinds"] = failure_kinds
    h.log(f"first pass: {len(acked)} acknowledged, {len(failed)} failed {failure_kinds}")
    report.check("a page worker was killed mid-load", bool(killed))

    # Respawned? A new worker pid under the same granian process, the old one gone.
    deadline = time.monotonic() + 20
    after: list[int] = []
    while time.monotonic() < deadline:
        if serve.poll() is not None or not h.alive(granian):
            break
        _, after = granian_workers(serve.pid)
        if len(after) == len(before) and killed[0] not in after:
            break
        time.sleep(0.3)
    respawned = len(after) == len(before) and bool(killed) and killed[0] not in after
    report.check(
        "granian respawned the killed worker",
        respawned,
        f"workers before {before}, after {after}",
    )
    report.check("kinwell serve still running", serve.poll() is None)

    # Whatever failed is posted again: the server must take it now.
    retry = [m for m in members if m.id in failed]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda m: post(m, 2), retry))
    report.numbers["retried"] = len(retry)
    report.numbers["failed_after_retry"] = len(failed)
    report.check(
        "every check-in that failed during the kill succeeds when posted again",
        not failed,
        f"{len(failed)} still failing" if failed else f"{len(retry)} retried",
    )
    report.check("no error page showed a traceback", errors_5xx_with_traceback == 0)

    h.stop_group(serve)
    notes, duplicates = verify(env, [m.id for m in members])
    missing = [uid for uid in acked if uid not in notes]
    wrong = [uid for uid, note in acked.items() if uid in notes and notes[uid] != [note]]
    report.numbers["acked_total"] = len(acked)
    report.numbers["in_database"] = sum(len(v) for v in notes.values())
    report.numbers["acked_missing"] = len(missing)
    report.numbers["duplicates"] = duplicates
    report.check(
        "every acknowledged check-in is in the database",
        not missing,
        f"{len(acked)} acknowledged, {len(missing)} missing",
    )
    report.check(
        "each holds exactly the acknowledged note, one row per member and day",
        not wrong and duplicates == 0,
        f"{len(wrong)} differ, {duplicates} duplicated",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        h.main("kill -9 page worker", 170, lambda report: run(report, args.members))


if __name__ == "__main__":
    main()

"""Fault 4: the disk under SQLite fills up.

A small tmpfs (mounted here, unmounted at the end whatever happens) is the data folder
(KINWELL_DATA_DIR) of `kinwell serve` on SQLite; only the collected static files are
linked elsewhere, so that the database is what meets the full disk. Members check in;
then a filler file takes every free byte and members keep checking in, with long notes,
until writes fail. Asserted:

- a write that cannot be stored gets a clear page saying it was not saved (503 with
  Retry-After, or a form error): never a 500, never a traceback;
- pages that only read keep working;
- no corruption: `PRAGMA integrity_check` is "ok" afterwards;
- every check-in acknowledged before (and while) the disk was full is there, as sent;
- after the filler is removed, writes work again without restarting Kinwell.

    .venv/bin/python -m faults.disk_full [--size 3m]
"""

import argparse
import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import httpx

from faults import harness as h

LONG_NOTE = ("Today I kept going, slowly, and noticed the small things that helped. " * 70)[:4900]


def mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"could not mount a tmpfs (root needed): {done.stderr.strip()}")
    h.ledger(f"umount {path}")
    h.on_cleanup(lambda: umount(path))


def umount(path: Path) -> None:
    if os.path.ismount(path):
        done = subprocess.run(["umount", str(path)], capture_output=True, timeout=30, check=False)
        if done.returncode != 0:
            subprocess.run(
                ["umount", "-l", str(path)], capture_output=True, timeout=30, check=False
            )


def fill(path: Path) -> int:
    """Write zeros until the disk refuses; returns the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as handle:
        while True:
            try:
                written += handle.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 16 or 1]
    return written


def run(report: h.Report, size: str) -> None:
    root = h.workdir("disk")
    # Members are made on an ordinary disk, then the database moves onto the small one:
    # seeding in one transaction would fill 3 MB with write-ahead log by itself.
    prep = root / "prep"
    prep.mkdir()
    prep_env = h.kinwell_env(prep)
    h.kinwell(prep_env, "migrate", "-v", "0")
    members = h.seed_members(prep_env, 200, "df")
    db = sqlite3.connect(prep / "kinwell.sqlite3")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()

    disk = root / "disk"
    mount_tmpfs(disk, size)
    for name in ("kinwell.sqlite3", "secret_key"):
        shutil.copy2(prep / name, disk / name)
    static = root / "static"
    static.mkdir()
    (disk / "static").symlink_to(static)
    env = h.kinwell_env(disk)
    port = h.free_port(2)
    serve = h.start_kinwell(env, port, root / "serve.log", workers=1, ws_workers=1)
    base = f"http://127.0.0.1:{port}"
    df = os.statvfs(disk)
    report.numbers["disk"] = size
    report.numbers["free_before_fill_kb"] = df.f_bavail * df.f_frsize // 1024

    acked: dict[int, str] = {}
    queue = iter(members)

    def checkin(note: str) -> tuple[int, str]:
        member = next(queue)
        text = f"{note} ({member.id})"
        with member.client(base) as client:
            try:
                response = h.post_checkin(client, text)
            except httpx.HTTPError as exc:
                return member.id, f"dropped: {type(exc).__name__}"
        if h.acknowledged(response):
            acked[member.id] = text
            return member.id, "ok"
        if h.shows_traceback(response.text):
            return member.id, "traceback"
        if response.status_code == 503 and "was not saved" in response.text:
            return member.id, "503"
        if response.status_code == 200 and "errorlist" in response.text:
            return member.id, "form error"
        return member.id, f"HTTP {response.status_code}"

    before = [checkin("before the disk filled")[1] for _ in range(20)]
    report.check(
        "before: check-ins are saved", before.count("ok") == 20, f"{before.count('ok')}/20"
    )

    # The filler takes all but the last 256 KB; long check-ins then take the rest, so the
    # disk fills in the middle of real writes.
    filler = disk / "filler"
    filled = fill(filler)
    os.truncate(filler, max(0, filled - 256 * 1024))
    report.numbers["filler_kb"] = (filled - 256 * 1024) // 1024
    h.log(f"filler of {report.numbers['filler_kb']} KB leaves 256 KB")

    outcomes: list[str] = []
    while len(outcomes) < 200:
        outcomes.append(checkin(LONG_NOTE)[1])
        if outcomes[-5:] == ["503"] * 5:
            break
    counts = {k: outcomes.count(k) for k in sorted(set(outcomes))}
    report.numbers["while_full"] = counts
    report.numbers["acked_while_filling"] = outcomes.count("ok")
    report.check("writes fail once the disk is full", outcomes[-5:] == ["503"] * 5, str(counts))
    clean = {"ok", "503", "form error"}
    report.check("each failed write got a clear 'not saved' page (no 500, no traceback)",
                 set(outcomes) <= clean, str(counts))  # fmt: skip

    with httpx.Client(base_url=base, cookies={members[0].cookie_name: members[0].session},
                      timeout=15) as client:  # fmt: skip
        reads = [client.get(path).status_code for path in ("/home/", "/checkin/history/")]
    report.check("pages that only read still work on a full disk", reads == [200, 200],
                 str(reads))  # fmt: skip

    filler.unlink()
    h.log("filler removed")
    after = [checkin("after space was freed")[1] for _ in range(10)]
    report.numbers["after_freeing"] = {k: after.count(k) for k in sorted(set(after))}
    report.check("after freeing space, writes work again (no Kinwell restart)",
                 after.count("ok") == 10 and serve.poll() is None, str(after))  # fmt: skip
    h.stop_group(serve)

    db = sqlite3.connect(disk / "kinwell.sqlite3")
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        rows = dict(db.execute("SELECT user_id, note FROM checkins_checkin").fetchall())
    finally:
        db.close()
    report.numbers["integrity_check"] = integrity[0][0] if len(integrity) == 1 else integrity
    report.check("PRAGMA integrity_check is ok", integrity == [("ok",)], str(integrity[:3]))
    missing = [uid for uid, note in acked.items() if rows.get(uid) != note]
    report.numbers["acked"] = len(acked)
    report.numbers["stored"] = len(rows)
    report.check("every acknowledged check-in is stored as sent", not missing,
                 f"{len(acked)} acknowledged, {len(missing)} missing")  # fmt: skip
    report.check("nothing refused was stored", len(rows) == len(acked),
                 f"{len(rows)} rows for {len(acked)} acknowledged")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="3m")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        h.main("SQLite disk full", 120, lambda report: run(report, args.size))


if __name__ == "__main__":
    main()

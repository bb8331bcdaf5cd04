"""Run the fault checks and print a table: `make faults`, or

    .venv/bin/python -m faults.run [NAME ...]      (names: see CHECKS; default all)

Each check is its own process in its own process group, on loopback only, with a hard
time limit: at the limit it gets SIGTERM (it then stops what it started), 15 s later
SIGKILL, and then everything it wrote to its ledger (process groups, PostgreSQL data
folders, mounts) is stopped or unmounted here. Needs root (tmpfs mount, PostgreSQL run
as the postgres user), redis-server, PostgreSQL 15's binaries and node.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python faults/run.py`
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faults import harness as h

# module, what it does, hard limit in seconds (each check also stops itself earlier).
CHECKS = [
    ("kill_page_worker", "kill -9 page worker", 200),
    ("kill_socket_worker", "kill -9 socket worker", 150),
    ("redis_stop", "Redis stopped during chat", 150),
    ("postgres_restart", "PostgreSQL restarted under load", 150),
    ("disk_full", "SQLite disk full", 150),
]


def clean_ledger(path: Path) -> None:
    """Stop whatever a check left behind (it was killed before its own clean-up ran)."""
    if not path.exists():
        return
    for line in reversed(path.read_text().splitlines()):
        kind, _, value = line.partition(" ")
        try:
            if kind == "pgid":
                pgid, _, started = value.partition(" ")
                if h.ours(int(pgid), started):
                    os.killpg(int(pgid), signal.SIGKILL)
                    print(f"  run: killed leftover process group {pgid}")
            elif kind == "pgdata" and (Path(value) / "postmaster.pid").exists():
                h.pg_stop(Path(value))
                print(f"  run: stopped leftover PostgreSQL in {value}")
            elif kind == "umount" and os.path.ismount(value):
                subprocess.run(["umount", "-l", value], check=False, timeout=30)
                print(f"  run: unmounted leftover {value}")
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            print(f"  run: could not clean {line!r}: {exc}")


def run_check(module: str, title: str, limit: int) -> dict[str, Any]:
    ledger = Path(tempfile.mkstemp(prefix="kinwell-faults-ledger-")[1])
    env = {**os.environ, "FAULTS_LEDGER": str(ledger), "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    result: dict[str, Any] = {}
    proc = subprocess.Popen(
        [sys.executable, "-m", f"faults.{module}"],
        cwd=h.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(h.RESULT_PREFIX):
                result.update(json.loads(line[len(h.RESULT_PREFIX) :]))
            else:
                print(line, end="", flush=True)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        print(f"  run: {title} passed its {limit} s limit: stopping it", flush=True)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        reader.join(timeout=5)
        clean_ledger(ledger)
        ledger.unlink(missing_ok=True)
    if not result:
        why = "timed out" if timed_out else f"exit status {proc.returncode}"
        result = {"name": title, "passed": False, "numbers": {}, "notes": [],
                  "checks": [["finished with a result", False, why]]}  # fmt: skip
    result["seconds"] = round(time.monotonic() - started, 1)
    if timed_out:
        result["passed"] = False
    return result


def show(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "",
        f"{'fault check':<34} {'result':<6} {'seconds':>7}  assertions",
        f"{'-' * 34} {'-' * 6} {'-' * 7}  {'-' * 10}",
    ]
    for r in results:
        checks = r.get("checks", [])
        ok = sum(1 for c in checks if c[1])
        lines.append(
            f"{r['name']:<34} {'PASS' if r['passed'] else 'FAIL':<6} {r['seconds']:>7.1f}  "
            f"{ok}/{len(checks)} ok"
        )
        for key, value in r.get("numbers", {}).items():
            lines.append(f"    {key}: {show(value)}")
        for label, passed, detail in checks:
            if not passed:
                lines.append(f"    FAILED: {label}" + (f" ({detail})" if detail else ""))
        for note in r.get("notes", []):
            lines.append(f"    note: {note}")
    passed = sum(1 for r in results if r["passed"])
    lines.append(f"\n{passed} of {len(results)} fault checks passed.")
    return "\n".join(lines)


def main() -> None:
    wanted = sys.argv[1:]
    known = {module for module, _, _ in CHECKS}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise SystemExit(f"unknown check(s): {', '.join(unknown)}; known: {', '.join(known)}")
    if os.geteuid() != 0:
        print("note: not root: the disk-full and PostgreSQL checks will fail (mount, runuser)")
    results = []
    for module, title, limit in CHECKS:
        if wanted and module not in wanted:
            continue
        print(f"== {title} ({module}, at most {limit} s) ==", flush=True)
        results.append(run_check(module, title, limit))
    print(table(results))
    sys.exit(0 if results and all(r["passed"] for r in results) else 1)


if __name__ == "__main__":
    main()

"""The `kinwell` command: product commands, plus every manage.py command.

Bad input or configuration exits with status 2 and one line on stderr, never a traceback.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import sqlite3

PRODUCT_COMMANDS = {
    "serve",
    "demo",
    "screen",
    "score",
    "match",
    "programs",
    "coach",
    "tick",
    "backup",
    "restore",
}


def _fail(message: str) -> NoReturn:
    # One line, whatever a library's message holds.
    message = " ".join(line.strip() for line in message.splitlines() if line.strip())
    print(f"kinwell: {message}", file=sys.stderr)
    raise SystemExit(2)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        _fail(f"configuration error: {exc}")


def _check_database() -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        _fail(f"cannot reach the database ({first}); check DATABASE_URL")


def _migrate_and_collect() -> None:
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)


def _print_demo(password: str) -> None:
    from kinwell.core.demo import seed_demo

    password, people = seed_demo(password=password)
    print(f"Demo accounts (password for all: {password})")
    for person in people:
        print(f"  {person.role:<12} {person.display_name:<8} {person.email}")


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    _check_database()
    _migrate_and_collect()
    from django.conf import settings

    _print_demo(settings.DEMO_PASSWORD)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65534:
        _fail("--port must be between 1 and 65534")
    if args.workers < 1 or args.ws_workers < 1:
        _fail("--workers and --ws-workers must be at least 1")
    _setup_django()
    _check_database()
    _migrate_and_collect()
    from django.conf import settings

    if args.demo:
        _print_demo(settings.DEMO_PASSWORD)
    ws_port = args.port + 1
    env = dict(os.environ)
    env.setdefault("KINWELL_WS_URL", f"ws://{args.host}:{ws_port}")
    env.setdefault("KINWELL_SITE_URL", f"http://{args.host}:{args.port}")
    env.setdefault("KINWELL_PORT", str(args.port))
    # Pages under WSGI (granian), WebSockets under ASGI (uvicorn): Django under ASGI
    # costs ~10x the CPU per page here (shared/reference/performance-baselines.md).
    web = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "config.wsgi:application",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
        "--blocking-threads",
        str(args.threads),
        "--no-ws",
        # A worker that dies (killed, out of memory) is replaced; without this granian
        # exits when one worker dies, and the whole instance with it (make faults).
        "--respawn-failed-workers",
        "--respawn-interval",
        "0.5",
        "--log-level",
        "warning",
    ]
    ws = [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        args.host,
        "--port",
        str(ws_port),
        "--workers",
        str(args.ws_workers),
        "--log-level",
        "warning",
        "--no-server-header",
        # Chat lines are a few hundred bytes: compressing each one again for every
        # recipient cost more CPU than anything else in a broadcast.
        "--ws-per-message-deflate",
        "false",
    ]
    if not settings.REDIS_URL:
        # Without Redis the page process hands realtime events to the WebSocket process.
        env["KINWELL_RELAY_URL"] = f"http://127.0.0.1:{ws_port}/internal/relay/"
        if args.ws_workers > 1:
            _fail("more than one WebSocket worker needs REDIS_URL (workers must share events)")
    procs = [
        subprocess.Popen(web, env={**env, "KINWELL_ASGI": "0"}),
        subprocess.Popen(ws, env={**env, "KINWELL_ASGI": "1", "KINWELL_RELAY_URL": ""}),
    ]
    if not args.no_tick:
        # Check-in reminders and circle nudges, once a minute, so `make run` needs no cron.
        tick = [sys.executable, "-m", "kinwell.cli", "tick", "--every", "60"]
        procs.append(subprocess.Popen(tick, env={**env, "KINWELL_ASGI": "0"}))
    print(f"Kinwell is running at http://{args.host}:{args.port}/ (WebSockets on port {ws_port}).")
    print("Press Ctrl+C to stop.", flush=True)

    def stop(*_: object) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
    finally:
        stop()
        deadline = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
    codes = [proc.returncode for proc in procs]
    return 0 if all(code in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes) else 1


def cmd_tick(args: argparse.Namespace) -> int:
    """Send due check-in reminders and circle nudges; with --every, keep doing it."""
    import logging

    if args.every is not None and args.every < 5:
        _fail("--every must be at least 5 seconds")
    _setup_django()
    _check_database()
    from kinwell.checkins.services import reminders_send
    from kinwell.circles.services import nudges_send

    log = logging.getLogger("kinwell.tick")
    while True:
        try:
            reminders = reminders_send()
            nudges = nudges_send()
            if args.once or reminders or nudges["unseen"] or nudges["quiet"]:
                print(
                    f"reminders: {reminders}; unanswered-post nudges: {nudges['unseen']}; "
                    f"quiet-partner nudges: {nudges['quiet']}",
                    flush=True,
                )
        except Exception:
            # A failed round (database restarting) must not stop the next one.
            log.exception("tick failed; trying again at the next round")
            if args.once:
                return 1
        if args.once or args.every is None:
            return 0
        time.sleep(args.every)


def _read_jsonl(path: str | None, fields: dict[str, type | tuple[type, ...]]) -> list[dict]:
    """Read JSON lines; any malformed line stops everything with one line naming it."""
    import json

    try:
        handle = open(path, encoding="utf-8") if path else sys.stdin  # noqa: SIM115
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    rows = []
    with handle:
        try:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    row = json.loads(raw)
                except json.JSONDecodeError as exc:
                    _fail(f"line {number}: not valid JSON ({exc.msg})")
                if not isinstance(row, dict):
                    _fail(f"line {number}: expected a JSON object")
                for name, kind in fields.items():
                    if name not in row:
                        _fail(f'line {number}: missing "{name}"')
                    if not isinstance(row[name], kind) or isinstance(row[name], bool):
                        _fail(f'line {number}: "{name}" has the wrong type')
                rows.append(row)
        except UnicodeDecodeError:
            _fail(f"{path or 'stdin'} is not UTF-8 text")
    return rows


def cmd_screen(args: argparse.Namespace) -> int:
    import json

    rows = _read_jsonl(args.input, {"id": (str, int), "text": str})
    from kinwell.safety.screening import screen_text

    out = sys.stdout
    for row in rows:
        result = screen_text(row["text"])
        out.write(
            json.dumps(
                {"id": row["id"], "level": result.level, "reasons": list(result.reasons)},
                ensure_ascii=False,
            )
            + "\n"
        )
    out.flush()
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    import json

    from kinwell.circles.matching import MatchInputError, id_value, match, parse_request

    path = None if args.input in (None, "-") else args.input
    name = path or "stdin"
    try:
        handle = open(path, encoding="utf-8") if path else sys.stdin  # noqa: SIM115
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    requests = []
    seen: set[str] = set()
    with handle:
        try:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    request = parse_request(json.loads(raw))
                except json.JSONDecodeError as exc:
                    _fail(f"{name} line {number}: not valid JSON ({exc.msg})")
                except MatchInputError as exc:
                    _fail(f"{name} line {number}: {exc}")
                if request.id in seen:
                    _fail(f'{name} line {number}: "id" {request.id} appears on an earlier line')
                seen.add(request.id)
                requests.append(request)
        except UnicodeDecodeError:
            _fail(f"{name} is not UTF-8 text")
        except OSError as exc:
            _fail(f"cannot read {name}: {exc.strerror or exc}")
    result = match(requests)
    line_order = {request.id: i for i, request in enumerate(requests)}
    out = sys.stdout
    for circle in result.circles:
        row = {
            "circle": circle.label,
            "members": [id_value(m) for m in sorted(circle.members, key=line_order.__getitem__)],
            "slot": circle.slot,
            "focus": circle.focus,
            "language": circle.language,
        }
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    unmatched = [id_value(m) for m in sorted(result.unmatched, key=line_order.__getitem__)]
    out.write(json.dumps({"unmatched": unmatched}, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def cmd_programs_check(args: argparse.Namespace) -> int:
    from kinwell.programs.content import CONTENT_DIR, ContentError, load_programs, summary

    try:
        found = load_programs(args.path or CONTENT_DIR)
    except ContentError as exc:
        _fail(str(exc))
    print(summary(found))
    return 0


# --- backup and restore ---------------------------------------------------------------
# A backup is one tar file: `manifest.json` (what it is, from what, row counts, checksum)
# and the dump itself, `database.sqlite3` (a page-level copy made with SQLite's online
# backup API) or `database.pgdump` (pg_dump's custom format). README.md, "Operations".

BACKUP_FORMAT = "kinwell-backup"
BACKUP_FORMAT_VERSION = 1
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# Rows that `kinwell migrate` writes by itself: a database holding only these is empty.
MIGRATE_FILLED_TABLES = frozenset(
    {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "auth_group",
        "auth_group_permissions",
    }
)
_CHUNK = 1024 * 1024


def _kinwell_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kinwell")
    except PackageNotFoundError:
        return "unknown"


def _first_line(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        for prefix in ("pg_dump: error: ", "pg_restore: error: ", "pg_dump: ", "pg_restore: "):
            line = line.removeprefix(prefix)
        if line:
            return line
    return fallback


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_open_ro(path: Path) -> "sqlite3.Connection":
    """Open an existing SQLite file for reading only: never create or change it."""
    import sqlite3
    from urllib.request import pathname2url

    return sqlite3.connect(f"file:{pathname2url(str(path))}?mode=ro", uri=True, timeout=20)


def _sqlite_tables(conn: "sqlite3.Connection") -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name"
    ).fetchall()
    return [row[0] for row in rows]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _count_rows(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        # The name comes from the database's own catalogue and is quoted.
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _applied_migrations(cursor: Any, tables: list[str]) -> list[str]:
    if "django_migrations" not in tables:
        return []
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    return [f"{app}.{name}" for app, name in cursor.fetchall()]


def _data_tables(counts: dict[str, int]) -> list[str]:
    return sorted(t for t, n in counts.items() if n and t not in MIGRATE_FILLED_TABLES)


def _pg_tool(name: str) -> tuple[str, int]:
    """Path and major version of a PostgreSQL client tool, or one line saying what to do."""
    import re
    import shutil

    path = shutil.which(name)
    if path is None:
        _fail(
            f"{name} not found: install the PostgreSQL client tools of the server's major "
            f"version (Debian: apt-get install postgresql-client-NN)"
        )
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _fail(f"cannot run {path}: {exc}")
    found = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    if out.returncode != 0 or found is None:
        _fail(f"cannot tell the version of {path} (it printed {out.stdout.strip()[:60]!r})")
    return path, int(found.group(1))


def _pg_conninfo() -> tuple[str, dict[str, str]]:
    """Connection string (no password) and environment for pg_dump / pg_restore."""
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    db = connection.settings_dict
    parts = {
        "dbname": str(db["NAME"]),
        "host": str(db.get("HOST") or ""),
        "port": str(db.get("PORT") or ""),
        "user": str(db.get("USER") or ""),
        "connect_timeout": "10",
    }
    conninfo = make_conninfo(**{k: v for k, v in parts.items() if v})
    env = dict(os.environ)
    if db.get("PASSWORD"):
        # In the environment, not on the command line, where `ps` would show it.
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return conninfo, env


def _configured_engine() -> str:
    from django.db import connection

    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        _fail(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def _sqlite_target() -> Path:
    from django.db import connection

    return Path(str(connection.settings_dict["NAME"])).resolve()


def _snapshot_sqlite(work: Path) -> tuple[Path, dict[str, Any]]:
    """Copy the live SQLite database with the online backup API, in one step.

    One step copies every page inside a single read transaction: under WAL that is a
    consistent snapshot, and writers carry on meanwhile. The copy leaves WAL mode so the
    dump is one self-contained file.
    """
    import sqlite3

    source_path = _sqlite_target()
    if not source_path.is_file():
        _fail(f"no database at {source_path} yet (run `kinwell migrate` first)")
    dump = work / DUMP_NAMES["sqlite"]
    try:
        source = _sqlite_open_ro(source_path)
        try:
            target = sqlite3.connect(dump)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")
                cursor = target.cursor()
                tables = _sqlite_tables(target)
                counts = _count_rows(cursor, tables)
                migrations = _applied_migrations(cursor, tables)
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        _fail(f"cannot back up {source_path}: {exc}")
    return dump, {
        "tables": counts,
        "migrations": migrations,
        "database": {"sqlite_version": sqlite3.sqlite_version},
    }


def _snapshot_postgresql(work: Path) -> tuple[Path, dict[str, Any]]:
    """pg_dump --format=custom, sharing a snapshot with the row counts in the manifest."""
    from django.db import connection, transaction

    pg_dump, dump_major = _pg_tool("pg_dump")
    _check_database()
    server_version = int(connection.pg_version)  # type: ignore[attr-defined]
    server_major = server_version // 10000
    if server_major > dump_major:
        _fail(
            f"pg_dump {dump_major} is older than the PostgreSQL {server_major} server; "
            f"install postgresql-client-{server_major}"
        )
    dump = work / DUMP_NAMES["postgresql"]
    conninfo, env = _pg_conninfo()
    with transaction.atomic(), connection.cursor() as cursor:
        # The counts and pg_dump read the same snapshot, so the manifest describes the dump
        # exactly even while the instance keeps serving.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        tables = sorted(connection.introspection.table_names(cursor))
        counts = _count_rows(cursor, tables)
        migrations = _applied_migrations(cursor, tables)
        command = [
            pg_dump,
            "--format=custom",
            "--no-password",
            f"--snapshot={snapshot}",
            f"--file={dump}",
            f"--dbname={conninfo}",
        ]
        try:
            out = subprocess.run(command, env=env, capture_output=True, text=True)
        except OSError as exc:
            _fail(f"cannot run {pg_dump}: {exc}")
    if out.returncode != 0:
        _fail(f"pg_dump failed: {_first_line(out.stderr, f'exit status {out.returncode}')}")
    return dump, {
        "tables": counts,
        "migrations": migrations,
        "database": {"server_version": server_version, "pg_dump_major": dump_major},
    }


def _database_error(exc: Exception) -> NoReturn:
    _fail(f"database error: {_first_line(str(exc), exc.__class__.__name__)}")


def cmd_backup(args: argparse.Namespace) -> int:
    from django.db import DatabaseError

    try:
        return _backup(args)
    except DatabaseError as exc:
        _database_error(exc)


def _backup(args: argparse.Namespace) -> int:
    import json
    import tarfile
    import tempfile
    from datetime import UTC, datetime

    output = Path(args.output).expanduser().absolute()
    if output.is_dir():
        _fail(f"{output} is a folder; give a file name, e.g. {output / 'kinwell.tar'}")
    if output.exists() and not args.force:
        _fail(f"{output} already exists (use --force to replace it)")
    if not output.parent.is_dir():
        _fail(f"folder {output.parent} does not exist")
    _setup_django()
    engine = _configured_engine()
    if engine == "sqlite":
        database = _sqlite_target()
        companions = {database.name + suffix for suffix in ("", "-wal", "-shm", "-journal")}
        resolved = output.resolve()
        if resolved.parent == database.parent and resolved.name in companions:
            _fail(f"{output} is the database itself (or its journal); write the backup elsewhere")
    try:
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=".kinwell-backup-") as tmp:
            work = Path(tmp)
            if engine == "sqlite":
                dump, facts = _snapshot_sqlite(work)
            else:
                dump, facts = _snapshot_postgresql(work)
            created = datetime.now(UTC).isoformat(timespec="seconds")
            manifest = {
                "format": BACKUP_FORMAT,
                "format_version": BACKUP_FORMAT_VERSION,
                "engine": engine,
                "kinwell_version": _kinwell_version(),
                "created_at": created,
                "dump": {"name": dump.name, "size": dump.stat().st_size, "sha256": _sha256(dump)},
                **facts,
            }
            manifest_path = work / "manifest.json"
            manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            # The archive holds people's private words: only its owner may read it.
            fd, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
            os.close(fd)
            try:
                with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
                    for path in (manifest_path, dump):
                        info = tar.gettarinfo(str(path), arcname=path.name)
                        info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                        with open(path, "rb") as handle:
                            tar.addfile(info, handle)
                with open(partial, "rb") as handle:
                    os.fsync(handle.fileno())
                os.replace(partial, output)
            finally:
                if os.path.exists(partial):
                    os.unlink(partial)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    summary = {
        "backup": str(output),
        "engine": engine,
        "created_at": manifest["created_at"],
        "sha256": manifest["dump"]["sha256"],
        "tables": len(manifest["tables"]),
        "rows": sum(manifest["tables"].values()),
    }
    print(json.dumps(summary))
    return 0


def _read_backup(source: Path, work: Path) -> tuple[dict[str, Any], Path]:
    """Check a backup file and extract its dump into `work`; nothing else is touched.

    Any problem (not a backup, damaged, unknown format) is one line and exit status 2.
    """
    import hashlib
    import json
    import re
    import tarfile

    if not source.exists():
        _fail(f"{source} does not exist")
    if not source.is_file():
        _fail(f"{source} is not a file")
    damaged = f"{source} is damaged or is not a Kinwell backup"
    try:
        with tarfile.open(source, "r:*") as tar:
            try:
                info = tar.getmember("manifest.json")
            except KeyError:
                _fail(f"{source} is not a Kinwell backup (no manifest.json inside)")
            handle = tar.extractfile(info) if info.isfile() and info.size < 10 * _CHUNK else None
            if handle is None:
                _fail(f"{damaged} (manifest.json is not a small file)")
            try:
                manifest = json.loads(handle.read().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                _fail(f"{damaged} (manifest.json is not valid JSON)")
            if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
                _fail(f"{source} is not a Kinwell backup (unknown manifest)")
            if manifest.get("format_version") != BACKUP_FORMAT_VERSION:
                _fail(
                    f"{source} has backup format {manifest.get('format_version')!r}; "
                    f"this Kinwell reads format {BACKUP_FORMAT_VERSION}"
                )
            dump_facts = manifest.get("dump")
            engine = manifest.get("engine")
            tables = manifest.get("tables")
            migrations = manifest.get("migrations")
            if (
                engine not in DUMP_NAMES
                or not isinstance(dump_facts, dict)
                or dump_facts.get("name") != DUMP_NAMES[engine]
                or not isinstance(dump_facts.get("sha256"), str)
                or not re.fullmatch(r"[0-9a-f]{64}", dump_facts["sha256"])
                or not isinstance(tables, dict)
                or not all(isinstance(n, int) for n in tables.values())
                or not isinstance(migrations, list)
            ):
                _fail(f"{damaged} (manifest.json lacks the engine, dump or table counts)")
            try:
                dump_info = tar.getmember(dump_facts["name"])
            except KeyError:
                _fail(f"{damaged} ({dump_facts['name']} is missing)")
            stream = tar.extractfile(dump_info) if dump_info.isfile() else None
            if stream is None:
                _fail(f"{damaged} ({dump_facts['name']} is not a file)")
            dump = work / dump_facts["name"]
            digest = hashlib.sha256()
            with open(dump, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    except (tarfile.TarError, EOFError) as exc:
        reason = _first_line(str(exc), exc.__class__.__name__).rstrip(":")
        _fail(f"{damaged} ({reason})")
    except OSError as exc:
        _fail(f"cannot read {source}: {exc.strerror or exc}")
    if digest.hexdigest() != dump_facts["sha256"]:
        _fail(f"{source} is damaged: the checksum of {dump_facts['name']} does not match")
    return manifest, dump


def _refuse_unless_forced(force: bool, occupied: list[str], where: str) -> None:
    if occupied and not force:
        shown = ", ".join(occupied[:3]) + (", …" if len(occupied) > 3 else "")
        _fail(
            f"the target database {where} is not empty ({len(occupied)} tables hold data: "
            f"{shown}); use --force to replace it"
        )


def _restore_sqlite(manifest: dict[str, Any], dump: Path, force: bool) -> None:
    """Check the copy, then swap it in for the database file in one rename."""
    import sqlite3

    target = _sqlite_target()
    if target.exists():
        try:
            conn = _sqlite_open_ro(target)
            try:
                counts = _count_rows(conn.cursor(), _sqlite_tables(conn))
            finally:
                conn.close()
        except sqlite3.Error as exc:
            if not force:
                _fail(f"cannot read the target database {target} ({exc}); use --force")
            counts = {}
        _refuse_unless_forced(force, _data_tables(counts), str(target))
    try:
        conn = sqlite3.connect(dump)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            counts = _count_rows(conn.cursor(), _sqlite_tables(conn))
        finally:
            conn.close()
    except sqlite3.Error as exc:
        _fail(f"the backup's database cannot be read ({exc})")
    if check != "ok" or counts != manifest["tables"]:
        _fail("the backup's database does not match its manifest; nothing was restored")
    if target.exists():
        # Leaving WAL mode checkpoints and removes the -wal and -shm files, which must never
        # meet the new file; it needs the only connection, so it also proves nothing is
        # serving from this database right now.
        try:
            conn = sqlite3.connect(target, timeout=2)
            try:
                conn.execute("PRAGMA journal_mode=DELETE").fetchone()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            if not force or "locked" in str(exc) or "busy" in str(exc):
                _fail(f"the database {target} is in use ({exc}); stop Kinwell, then restore")
    for suffix in ("-wal", "-shm", "-journal"):
        leftover = target.with_name(target.name + suffix)
        if leftover.exists():
            leftover.unlink()
    os.replace(dump, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _restore_postgresql(manifest: dict[str, Any], dump: Path, force: bool) -> None:
    """pg_restore --clean --if-exists --no-owner in one transaction: all or nothing."""
    from django.db import connection

    pg_restore, restore_major = _pg_tool("pg_restore")
    facts = manifest.get("database")
    made_by = facts.get("pg_dump_major") if isinstance(facts, dict) else None
    if isinstance(made_by, int) and made_by > restore_major:
        _fail(
            f"the backup was made by pg_dump {made_by}; pg_restore {restore_major} cannot read "
            f"it (install postgresql-client-{made_by})"
        )
    _check_database()
    with connection.cursor() as cursor:
        counts = _count_rows(cursor, sorted(connection.introspection.table_names(cursor)))
    _refuse_unless_forced(force, _data_tables(counts), f"{connection.settings_dict['NAME']!r}")
    connection.close()
    conninfo, env = _pg_conninfo()
    command = [
        pg_restore,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={conninfo}",
        str(dump),
    ]
    try:
        out = subprocess.run(command, env=env, capture_output=True, text=True)
    except OSError as exc:
        _fail(f"cannot run {pg_restore}: {exc}")
    if out.returncode != 0:
        reason = _first_line(out.stderr, f"exit status {out.returncode}")
        _fail(f"pg_restore failed, nothing was changed: {reason}")


def cmd_restore(args: argparse.Namespace) -> int:
    from django.db import DatabaseError

    try:
        return _restore(args)
    except DatabaseError as exc:
        _database_error(exc)


def _restore(args: argparse.Namespace) -> int:
    import json
    import tempfile

    source = Path(args.input).expanduser().absolute()
    if not source.exists():
        _fail(f"{source} does not exist")
    _setup_django()
    engine = _configured_engine()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.loader import MigrationLoader

    # Extract next to the SQLite file, so the final rename never crosses file systems.
    where = _sqlite_target().parent if engine == "sqlite" else None
    try:
        with tempfile.TemporaryDirectory(dir=where, prefix=".kinwell-restore-") as tmp:
            manifest, dump = _read_backup(source, Path(tmp))
            if manifest["engine"] != engine:
                _fail(
                    f"{source} is a {ENGINE_LABELS[manifest['engine']]} backup but the "
                    f"configured database is {ENGINE_LABELS[engine]}"
                )
            known = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
            unknown = [m for m in manifest["migrations"] if m not in known]
            if unknown and not args.force:
                _fail(
                    f"the backup comes from a newer Kinwell ({len(unknown)} migrations this "
                    f"version does not know, e.g. {unknown[0]}); upgrade first or use --force"
                )
            if engine == "sqlite":
                _restore_sqlite(manifest, dump, args.force)
            else:
                _restore_postgresql(manifest, dump, args.force)
    except OSError as exc:
        _fail(f"restore failed: {exc.strerror or exc}")
    connection.close()
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
        restored = _count_rows(cursor, sorted(present & set(manifest["tables"])))
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
    tables = {
        table: {"backup": count, "restored": restored.get(table)}
        for table, count in sorted(manifest["tables"].items())
    }
    differ = [t for t, pair in tables.items() if pair["backup"] != pair["restored"]]
    report = {
        "restored": str(source),
        "engine": engine,
        "backup_created_at": manifest.get("created_at"),
        "backup_kinwell_version": manifest.get("kinwell_version"),
        "migrations_pending": pending,
        "rows_match": not differ,
        "tables": tables,
    }
    print(json.dumps(report))
    if differ:
        print(
            f"kinwell: restored, but row counts differ from the backup in {len(differ)} "
            f"tables: {', '.join(differ[:5])}",
            file=sys.stderr,
        )
        return 1
    if pending:
        print(
            f"kinwell: restored; {len(pending)} migrations still to apply: run "
            "`kinwell migrate` (`kinwell serve` does it on start)",
            file=sys.stderr,
        )
    return 0


class _OneLineParser(argparse.ArgumentParser):
    """Usage mistakes get one line and exit status 2, like every other bad input."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("kinwell").strip()
        _fail(f"{command}: {message}" if command else message)


def cmd_score(args: argparse.Namespace) -> int:
    import json

    from django.core.exceptions import ImproperlyConfigured

    from kinwell.assessments.instruments import instruments
    from kinwell.assessments.scoring import ScoringError, parse_values, score

    try:
        known = instruments()
    except ImproperlyConfigured as exc:
        _fail(str(exc))
    instrument = known.get(args.instrument)
    if instrument is None:
        _fail(f"unknown instrument {args.instrument!r} (known: {', '.join(sorted(known))})")
    try:
        result = score(instrument, parse_values(instrument, args.values))
    except ScoringError as exc:
        _fail(str(exc))
    print(json.dumps(result.as_json()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="kinwell", description="Kinwell command line.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    serve = sub.add_parser("serve", help="migrate, then serve pages (WSGI) and WebSockets (ASGI)")
    serve.add_argument("--demo", action="store_true", help="seed demo data and print the logins")
    serve.add_argument(
        "--no-tick",
        action="store_true",
        help="do not run reminders and nudges here (run `kinwell tick` elsewhere, once)",
    )
    serve.add_argument("--port", type=int, default=int(os.environ.get("KINWELL_PORT") or 8000))
    serve.add_argument("--host", default=os.environ.get("KINWELL_HOST", "127.0.0.1"))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("KINWELL_WORKERS") or 2))
    serve.add_argument(
        "--ws-workers", type=int, default=int(os.environ.get("KINWELL_WS_WORKERS") or 1)
    )
    serve.add_argument("--threads", type=int, default=int(os.environ.get("KINWELL_THREADS") or 2))
    serve.set_defaults(func=cmd_serve)
    tick = sub.add_parser("tick", help="send due check-in reminders and circle nudges")
    tick.add_argument("--once", action="store_true", help="one round, then exit")
    tick.add_argument("--every", type=int, help="repeat every N seconds (serve uses 60)")
    tick.set_defaults(func=cmd_tick)
    demo = sub.add_parser("demo", help="seed demo data (idempotent) and print the logins")
    demo.set_defaults(func=cmd_demo)
    screen = sub.add_parser(
        "screen", help='crisis-screen JSON lines {"id", "text"} from --input or stdin'
    )
    screen.add_argument("--input", help="JSON lines file (default: standard input)")
    screen.set_defaults(func=cmd_screen)
    score_cmd = sub.add_parser("score", help="score answers: kinwell score phq9 0,1,2,3,0,1,2,3,0")
    score_cmd.add_argument("instrument", help="phq9, gad7, pcl5, mspss, ucla3, ecr-r, brs, asq")
    score_cmd.add_argument("values", help="option values in published item order, comma-separated")
    score_cmd.set_defaults(func=cmd_score)
    match_cmd = sub.add_parser(
        "match", help="form circles from join requests in JSON lines (--input or stdin)"
    )
    match_cmd.add_argument("--input", help="JSON lines file; '-' or omitted: standard input")
    match_cmd.set_defaults(func=cmd_match)
    programs_cmd = sub.add_parser("programs", help="guided program content")
    programs_sub = programs_cmd.add_subparsers(
        dest="programs_command", required=True, metavar="check", parser_class=_OneLineParser
    )
    check = programs_sub.add_parser("check", help="validate program content files")
    check.add_argument("--path", help="folder of programs (default: the shipped content)")
    check.set_defaults(func=cmd_programs_check)
    backup = sub.add_parser(
        "backup", help="write a consistent backup of the database (a tar with a manifest)"
    )
    backup.add_argument("--output", required=True, help="file to write, e.g. kinwell.tar")
    backup.add_argument("--force", action="store_true", help="replace an existing file")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser(
        "restore", help="restore a backup into the configured database (stop Kinwell first)"
    )
    restore.add_argument("--input", required=True, help="a file written by `kinwell backup`")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that already holds data"
    )
    restore.set_defaults(func=cmd_restore)
    from kinwell.coach.cli import add_commands as add_coach_commands

    add_coach_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in PRODUCT_COMMANDS or argv[0] in {"-h", "--help"}:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:
            return int(exc.code or 0)
        return int(args.func(args))
    # Anything else is a Django management command (migrate, createsuperuser, ...).
    _setup_django()
    from django.core.management import execute_from_command_line, get_commands

    # Django would answer an unknown one with two lines and status 1.
    if argv[0] not in get_commands() and argv[0] not in {"help", "version", "--version"}:
        _fail(f"unknown command {argv[0]!r} (kinwell --help lists them; kinwell help, Django's)")

    execute_from_command_line(["kinwell", *argv])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

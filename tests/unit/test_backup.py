"""`kinwell backup` and `kinwell restore`, run as an operator would (subprocesses with their
own KINWELL_DATA_DIR and DATABASE_URL, never the pytest test database).

A database full of real rows (the demo, made through services, plus more written through
services) is backed up and restored into an empty database; every table's rows must come
back. Bad backups and occupied targets are refused with one line, leaving the target as it
was. The PostgreSQL tests create and drop their own databases; they are skipped when
PostgreSQL does not answer, unless KINWELL_REQUIRE_SERVICES is set (CI).
"""

import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = bool(os.environ.get("KINWELL_REQUIRE_SERVICES"))
PG_BASE_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/kinwell"
# Tables that must hold rows in the seeded source, so "every row came back" means something.
MUST_HOLD_ROWS = [
    "accounts_user",
    "accounts_consentrecord",
    "checkins_checkin",
    "circles_circle",
    "circles_membership",
    "circles_post",
    "circles_chatmessage",
    "circles_acknowledgement",
    "network_person",
    "assessments_assessmentresponse",
    "programs_step",
    "safety_safetyplan",
    "core_notification",
]

# More rows written through the services, with text that is not ASCII.
SEED = """
import django
django.setup()
from kinwell.accounts.models import User
from kinwell.accounts.tests.factories import UserFactory
from kinwell.checkins.services import checkin_save
from kinwell.circles.models import Circle
from kinwell.circles.services import chat_send, post_create

newcomer = UserFactory(display_name="Zoë", email="zoe@example.test", time_zone="Europe/Paris")
checkin_save(user=newcomer, seen=3, safe=3, soothed=2, secure=3, stable=2, window="inside",
             mood=3, note="Un café avec ma sœur — ça m'a fait du bien 🌱")
river = User.objects.get(email="river@demo.kinwell.test")
harbour = Circle.objects.get(name="Harbour")
post_create(author=river, circle_id=harbour.pk, body="Thinking of you all this week. 💙")
chat_send(author=river, circle_id=harbour.pk, body="Back on Monday — «merci»", client_id="c1")
"""

# Every row of every table, in a stable order, as JSON.
DUMP = """
import json
import django
django.setup()
from django.db import connection

def norm(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)

out = {}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names(cursor)):
        cursor.execute("SELECT * FROM " + connection.ops.quote_name(table))
        rows = [[norm(v) for v in row] for row in cursor.fetchall()]
        out[table] = sorted(rows, key=lambda row: json.dumps(row, default=str))
print(json.dumps(out))
"""

# A write after a restore: sequences and constraints came back too.
WRITE_AFTER = """
import uuid
import django
django.setup()
from kinwell.accounts.tests.factories import UserFactory
from kinwell.checkins.services import checkin_save
person = UserFactory(email=f"{uuid.uuid4().hex}@example.test")
checkin_save(user=person, seen=1, safe=1, soothed=1, secure=1, stable=1, window="below", mood=1)
print(person.pk)
"""


def _env(data_dir: Path, database_url: str | None, extra: dict[str, str] | None) -> dict:
    drop = {"DATABASE_URL", "REDIS_URL", "KINWELL_ASGI", "KINWELL_TESTING", "KINWELL_SECRET_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"KINWELL_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "config.settings"})
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


def kinwell(
    args: list[str],
    data_dir: Path,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kinwell.cli", *args],
        cwd=ROOT,
        env=_env(data_dir, database_url, extra_env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def python(code: str, data_dir: Path, database_url: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(data_dir, database_url, None),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def all_rows(data_dir: Path, database_url: str | None = None) -> dict[str, list]:
    return json.loads(python(DUMP, data_dir, database_url))


def refused(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kinwell: ")
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_beside(data_dir: Path) -> list[str]:
    """The data folder's files, less the -wal/-shm that any SQLite reader may leave."""
    return sorted(p.name for p in data_dir.iterdir() if not p.name.endswith(("-wal", "-shm")))


def members(backup: Path) -> dict[str, bytes]:
    with tarfile.open(backup) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def write_backup(path: Path, files: dict[str, bytes]) -> Path:
    """A backup file with the given members (to forge damaged or foreign backups)."""
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def seed(data_dir: Path, database_url: str | None = None) -> None:
    demo = kinwell(["demo"], data_dir, database_url, {"KINWELL_DEMO_PASSWORD": "demo-pass-123"})
    assert demo.returncode == 0, demo.stderr
    python(SEED, data_dir, database_url)


def check_full_restore(source_rows: dict[str, list], target_rows: dict[str, list]) -> None:
    assert sorted(target_rows) == sorted(source_rows)
    assert len(source_rows) > 40
    for table in MUST_HOLD_ROWS:
        assert source_rows[table], f"the seeded source has no rows in {table}"
    for table, rows in source_rows.items():
        assert target_rows[table] == rows, f"{table} differs after restore"


def check_report(stdout: str, source_rows: dict[str, list]) -> dict:
    report = json.loads(stdout)
    assert report["rows_match"] is True
    assert report["migrations_pending"] == []
    for table, rows in source_rows.items():
        assert report["tables"][table] == {"backup": len(rows), "restored": len(rows)}
    return report


# --- SQLite -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory):
    """A seeded SQLite instance, its rows, and a backup of it."""
    data = tmp_path_factory.mktemp("source")
    seed(data)
    backup = tmp_path_factory.mktemp("backups") / "kinwell.tar"
    result = kinwell(["backup", "--output", str(backup)], data)
    assert result.returncode == 0, result.stderr
    return {"data": data, "rows": all_rows(data), "backup": backup, "stdout": result.stdout}


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory):
    data = tmp_path_factory.mktemp("migrated")
    assert kinwell(["migrate", "-v", "0"], data).returncode == 0
    return data / "kinwell.sqlite3"


@pytest.fixture
def migrated_target(tmp_path, migrated_template):
    """A data folder whose database is migrated but holds no one's data yet."""
    data = tmp_path / "target"
    data.mkdir()
    shutil.copy(migrated_template, data / "kinwell.sqlite3")
    shutil.copy(migrated_template.with_name("secret_key"), data / "secret_key")
    return data


def test_backup_is_a_tar_with_a_manifest_that_describes_the_dump(sqlite_source):
    files = members(sqlite_source["backup"])
    assert set(files) == {"manifest.json", "database.sqlite3"}
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "kinwell-backup"
    assert manifest["format_version"] == 1
    assert manifest["engine"] == "sqlite"
    assert manifest["kinwell_version"]
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["dump"]["sha256"] == hashlib.sha256(files["database.sqlite3"]).hexdigest()
    assert manifest["dump"]["size"] == len(files["database.sqlite3"])
    rows = sqlite_source["rows"]
    assert manifest["tables"] == {table: len(r) for table, r in rows.items()}
    assert "accounts.0001_initial" in manifest["migrations"]
    summary = json.loads(sqlite_source["stdout"])
    assert summary["sha256"] == manifest["dump"]["sha256"]
    assert summary["rows"] == sum(len(r) for r in rows.values())
    # People's private words: only the owner may read the file.
    assert sqlite_source["backup"].stat().st_mode & 0o077 == 0


def test_sqlite_restore_into_a_fresh_database_brings_back_every_row(sqlite_source, tmp_path):
    target = tmp_path / "fresh"
    target.mkdir()
    result = kinwell(["restore", "--input", str(sqlite_source["backup"])], target)
    assert result.returncode == 0, result.stderr
    check_report(result.stdout, sqlite_source["rows"])
    check_full_restore(sqlite_source["rows"], all_rows(target))
    # No temporary files are left beside the database, and it takes new writes.
    assert files_beside(target) == ["kinwell.sqlite3", "secret_key"]
    assert python(WRITE_AFTER, target).strip().isdigit()


def test_restore_into_a_migrated_empty_database_needs_no_force(sqlite_source, migrated_target):
    result = kinwell(["restore", "--input", str(sqlite_source["backup"])], migrated_target)
    assert result.returncode == 0, result.stderr
    check_full_restore(sqlite_source["rows"], all_rows(migrated_target))


def test_a_database_that_holds_data_is_only_replaced_with_force(sqlite_source, migrated_target):
    python(WRITE_AFTER, migrated_target)  # someone signed up here
    before_rows = all_rows(migrated_target)
    before = digest(migrated_target / "kinwell.sqlite3")
    result = kinwell(["restore", "--input", str(sqlite_source["backup"])], migrated_target)
    refused(result, "is not empty")
    assert "--force" in result.stderr
    assert digest(migrated_target / "kinwell.sqlite3") == before
    assert all_rows(migrated_target) == before_rows

    forced = kinwell(
        ["restore", "--force", "--input", str(sqlite_source["backup"])], migrated_target
    )
    assert forced.returncode == 0, forced.stderr
    check_full_restore(sqlite_source["rows"], all_rows(migrated_target))


# Holds the database open, as a running `kinwell serve` does, until a file appears.
HOLDER = """
import sqlite3, sys, time
from pathlib import Path
db, ready, stop = sys.argv[1:4]
conn = sqlite3.connect(db)
conn.execute("SELECT COUNT(*) FROM accounts_user").fetchone()
Path(ready).touch()
deadline = time.monotonic() + 60
while not Path(stop).exists() and time.monotonic() < deadline:
    time.sleep(0.05)
conn.close()
"""


def test_restore_refuses_while_the_database_is_in_use(sqlite_source, migrated_target, tmp_path):
    import time

    database = migrated_target / "kinwell.sqlite3"
    ready, stop = tmp_path / "ready", tmp_path / "stop"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(database), str(ready), str(stop)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists()
        before = all_rows(migrated_target)
        result = kinwell(
            ["restore", "--force", "--input", str(sqlite_source["backup"])], migrated_target
        )
        refused(result, "is in use")
        assert "stop Kinwell" in result.stderr
        assert all_rows(migrated_target) == before
    finally:
        stop.touch()
        holder.wait(timeout=60)


def _damaged(kind: str, good: Path, folder: Path) -> Path:
    files = members(good)
    manifest = json.loads(files["manifest.json"])
    if kind == "missing":
        return folder / "no-such-backup.tar"
    if kind == "not a tar":
        path = folder / "noise.tar"
        path.write_bytes(os.urandom(4096))
        return path
    if kind == "truncated":
        path = folder / "truncated.tar"
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        return path
    if kind == "flipped byte":
        dump = bytearray(files["database.sqlite3"])
        dump[len(dump) // 2] ^= 0xFF
        files["database.sqlite3"] = bytes(dump)
        return write_backup(folder / "flipped.tar", files)
    if kind == "no manifest":
        return write_backup(folder / "bare.tar", {"database.sqlite3": files["database.sqlite3"]})
    if kind == "bad manifest":
        files["manifest.json"] = b"{not json"
        return write_backup(folder / "badmanifest.tar", files)
    if kind == "wrong engine":
        # A well-formed PostgreSQL backup: right checksum, wrong engine for this instance.
        archive = b"PGDMP fake custom archive"
        manifest["engine"] = "postgresql"
        manifest["dump"] = {
            "name": "database.pgdump",
            "size": len(archive),
            "sha256": hashlib.sha256(archive).hexdigest(),
        }
        encoded = json.dumps(manifest).encode()
        return write_backup(
            folder / "pg.tar", {"manifest.json": encoded, "database.pgdump": archive}
        )
    if kind == "counts lie":
        # Right checksum, but the manifest does not describe the database inside.
        manifest["tables"]["accounts_user"] += 1
        files["manifest.json"] = json.dumps(manifest).encode()
        return write_backup(folder / "lying.tar", files)
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        ("missing", "does not exist"),
        ("not a tar", "is damaged or is not a Kinwell backup"),
        ("truncated", "is damaged"),
        ("flipped byte", "checksum"),
        ("no manifest", "no manifest.json"),
        ("bad manifest", "not valid JSON"),
        ("wrong engine", "is a PostgreSQL backup but the configured database is SQLite"),
        ("counts lie", "does not match its manifest"),
    ],
)
def test_a_bad_backup_is_refused_with_one_line_and_the_target_is_untouched(
    sqlite_source, migrated_target, tmp_path, kind, fragment
):
    bad = _damaged(kind, sqlite_source["backup"], tmp_path)
    before = digest(migrated_target / "kinwell.sqlite3")
    listing = files_beside(migrated_target)
    # --force too: it may replace data, never accept a bad backup.
    result = kinwell(["restore", "--force", "--input", str(bad)], migrated_target)
    refused(result, fragment)
    assert digest(migrated_target / "kinwell.sqlite3") == before
    assert files_beside(migrated_target) == listing


def test_a_bad_backup_never_creates_a_database_in_an_empty_folder(sqlite_source, tmp_path):
    bad = _damaged("flipped byte", sqlite_source["backup"], tmp_path)
    target = tmp_path / "empty"
    target.mkdir()
    refused(kinwell(["restore", "--input", str(bad)], target), "checksum")
    assert not (target / "kinwell.sqlite3").exists()


def test_backup_never_overwrites_a_file_unless_forced(sqlite_source, tmp_path):
    output = tmp_path / "existing.tar"
    output.write_text("an older backup")
    refused(kinwell(["backup", "--output", str(output)], sqlite_source["data"]), "--force")
    assert output.read_text() == "an older backup"
    forced = kinwell(["backup", "--force", "--output", str(output)], sqlite_source["data"])
    assert forced.returncode == 0, forced.stderr
    assert json.loads(members(output)["manifest.json"])["engine"] == "sqlite"
    # Not even --force writes a backup over the database it is backing up.
    database = sqlite_source["data"] / "kinwell.sqlite3"
    before = digest(database)
    refused(
        kinwell(["backup", "--force", "--output", str(database)], sqlite_source["data"]),
        "is the database itself",
    )
    assert digest(database) == before


# Keeps committing rows from another process, as a serving instance would, until told to
# stop (a file appears) or 60 seconds pass.
WRITER = """
import sqlite3, sys, time
from pathlib import Path
db, ready, stop = sys.argv[1:4]
conn = sqlite3.connect(db, timeout=20)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("CREATE TABLE IF NOT EXISTS zz_load (id INTEGER PRIMARY KEY, body TEXT)")
conn.commit()
Path(ready).touch()
deadline = time.monotonic() + 60
while not Path(stop).exists() and time.monotonic() < deadline:
    with conn:
        conn.executemany("INSERT INTO zz_load (body) VALUES (?)", [("x" * 200,)] * 50)
conn.close()
"""


def test_sqlite_backup_while_another_process_writes_is_consistent(sqlite_source, tmp_path):
    import sqlite3
    import time

    data = tmp_path / "busy"
    data.mkdir()
    shutil.copy(sqlite_source["data"] / "kinwell.sqlite3", data / "kinwell.sqlite3")
    ready, stop = tmp_path / "ready", tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data / "kinwell.sqlite3"), str(ready), str(stop)]
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists()
        counts = []
        for number in range(2):
            output = tmp_path / f"busy-{number}.tar"
            result = kinwell(["backup", "--output", str(output)], data)
            assert result.returncode == 0, result.stderr
            files = members(output)
            manifest = json.loads(files["manifest.json"])
            copy = tmp_path / f"copy-{number}.sqlite3"
            copy.write_bytes(files["database.sqlite3"])
            conn = sqlite3.connect(copy)
            try:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                loaded = conn.execute("SELECT COUNT(*) FROM zz_load").fetchone()[0]
            finally:
                conn.close()
            # The manifest describes exactly the snapshot in the dump.
            assert manifest["tables"]["zz_load"] == loaded
            counts.append(loaded)
        assert counts[1] > counts[0] > 0  # the writer really was writing meanwhile
    finally:
        stop.touch()
        writer.wait(timeout=60)
    assert writer.returncode == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["backup"], "--output"),
        (["backup", "--output", "/no/such/folder/kinwell.tar"], "does not exist"),
        (["restore"], "--input"),
    ],
)
def test_usage_mistakes_are_one_line(tmp_path, args, fragment):
    refused(kinwell(args, tmp_path), fragment)


def test_a_missing_pg_dump_is_one_clear_line(tmp_path):
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    result = kinwell(
        ["backup", "--output", str(tmp_path / "pg.tar")],
        tmp_path,
        "postgres://postgres@127.0.0.1:5432/kinwell",
        {"PATH": str(empty_path)},
    )
    refused(result, "pg_dump not found")
    assert not (tmp_path / "pg.tar").exists()


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_url(name: str) -> str:
    parts = urlsplit(PG_BASE_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def _admin():
    import psycopg

    return psycopg.connect(_pg_url("postgres"), autocommit=True)


@pytest.fixture(scope="module")
def pg_databases():
    """Create throwaway databases on demand; drop them all at the end."""
    parts = urlsplit(PG_BASE_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        if REQUIRED:
            pytest.fail(f"PostgreSQL on {host}:{port} is required (KINWELL_REQUIRE_SERVICES)")
        pytest.skip(f"PostgreSQL not reachable on {host}:{port}")
    created: list[str] = []

    def create(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _pg_url(name)

    yield create
    with _admin() as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_source(pg_databases, tmp_path_factory):
    url = pg_databases("kinwell_backup_test")
    data = tmp_path_factory.mktemp("pg-source")
    seed(data, url)
    backup = tmp_path_factory.mktemp("pg-backups") / "kinwell-pg.tar"
    result = kinwell(["backup", "--output", str(backup)], data, url)
    assert result.returncode == 0, result.stderr
    return {"url": url, "data": data, "rows": all_rows(data, url), "backup": backup}


def test_postgresql_restore_into_a_fresh_database_brings_back_every_row(
    pg_source, pg_databases, tmp_path
):
    files = members(pg_source["backup"])
    assert set(files) == {"manifest.json", "database.pgdump"}
    manifest = json.loads(files["manifest.json"])
    assert manifest["engine"] == "postgresql"
    assert files["database.pgdump"].startswith(b"PGDMP")  # pg_dump's custom format
    assert manifest["dump"]["sha256"] == hashlib.sha256(files["database.pgdump"]).hexdigest()
    assert manifest["tables"] == {t: len(r) for t, r in pg_source["rows"].items()}

    target_url = pg_databases("kinwell_restore_test")
    result = kinwell(["restore", "--input", str(pg_source["backup"])], tmp_path, target_url)
    assert result.returncode == 0, result.stderr
    check_report(result.stdout, pg_source["rows"])
    check_full_restore(pg_source["rows"], all_rows(tmp_path, target_url))
    # Sequences came back: a new sign-up gets a fresh id.
    new_id = int(python(WRITE_AFTER, tmp_path, target_url))
    assert new_id > max(row[0] for row in pg_source["rows"]["accounts_user"])

    # Now it holds data: refused without --force, and left as it is.
    before = all_rows(tmp_path, target_url)
    again = kinwell(["restore", "--input", str(pg_source["backup"])], tmp_path, target_url)
    refused(again, "is not empty")
    assert all_rows(tmp_path, target_url) == before
    forced = kinwell(
        ["restore", "--force", "--input", str(pg_source["backup"])], tmp_path, target_url
    )
    assert forced.returncode == 0, forced.stderr
    check_full_restore(pg_source["rows"], all_rows(tmp_path, target_url))


def test_postgresql_refuses_bad_and_foreign_backups_and_leaves_the_target(
    pg_source, pg_databases, sqlite_source, tmp_path
):
    target_url = pg_databases("kinwell_restore_test")
    assert kinwell(["migrate", "-v", "0"], tmp_path, target_url).returncode == 0
    python(WRITE_AFTER, tmp_path, target_url)
    before = all_rows(tmp_path, target_url)

    foreign = kinwell(
        ["restore", "--force", "--input", str(sqlite_source["backup"])], tmp_path, target_url
    )
    refused(foreign, "is a SQLite backup but the configured database is PostgreSQL")

    files = members(pg_source["backup"])
    dump = bytearray(files["database.pgdump"])
    dump[-100] ^= 0xFF
    files["database.pgdump"] = bytes(dump)
    flipped = write_backup(tmp_path / "flipped.tar", files)
    refused(
        kinwell(["restore", "--force", "--input", str(flipped)], tmp_path, target_url), "checksum"
    )
    assert all_rows(tmp_path, target_url) == before

    # And a PostgreSQL backup is not restored into SQLite.
    sqlite_target = tmp_path / "sqlite"
    sqlite_target.mkdir()
    refused(
        kinwell(["restore", "--input", str(pg_source["backup"])], sqlite_target),
        "is a PostgreSQL backup but the configured database is SQLite",
    )
    assert not (sqlite_target / "kinwell.sqlite3").exists()


def test_a_pg_dump_older_than_the_server_is_one_clear_line(pg_source, tmp_path):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake = fake_bin / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    path = f"{fake_bin}{os.pathsep}{os.environ.get('PATH', '')}"
    output = tmp_path / "old.tar"
    result = kinwell(
        ["backup", "--output", str(output)], tmp_path, pg_source["url"], {"PATH": path}
    )
    refused(result, "pg_dump 9 is older than the PostgreSQL")
    assert not output.exists()

"""Configuration and the `kinwell` command, run as a user would run them (subprocesses)."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "KINWELL_ASGI"}
    }
    full_env.update(env)
    full_env.pop("KINWELL_TESTING", None)
    return subprocess.run(
        [sys.executable, "-m", "kinwell.cli", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def settings_value(expr: str, env: dict[str, str]) -> str:
    code = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');"
        f"django.setup(); from django.conf import settings as s; print({expr})"
    )
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "KINWELL_ASGI"}
    }
    full_env.update(env)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://root@localhost/kinwell", "must look like postgres://"),
        ("postgres://user@localhost:notaport/kinwell", "port that is not a number"),
        ("postgres://user@localhost:5432/", "must end with the database name"),
    ],
)
def test_malformed_database_url_is_one_clear_line(tmp_path, url, fragment):
    result = run(
        ["serve", "--port", "8765"], {"DATABASE_URL": url, "KINWELL_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_line(tmp_path):
    result = run(
        ["serve", "--port", "8765"],
        {
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/kinwell",
            "KINWELL_DATA_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 2
    assert "cannot reach the database" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_port_is_refused(tmp_path):
    result = run(["serve", "--port", "0"], {"KINWELL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "--port" in result.stderr


def test_bad_boolean_env_is_one_clear_line(tmp_path):
    result = run(["serve"], {"KINWELL_DEBUG": "maybe", "KINWELL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "KINWELL_DEBUG" in result.stderr


def test_secret_key_is_generated_once_and_private(tmp_path):
    env = {"KINWELL_DATA_DIR": str(tmp_path), "KINWELL_SECRET_KEY": ""}
    first = settings_value("s.SECRET_KEY", env)
    second = settings_value("s.SECRET_KEY", env)
    assert first == second and len(first) > 40
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_production_safe_defaults(tmp_path):
    env = {"KINWELL_DATA_DIR": str(tmp_path)}
    assert settings_value("s.DEBUG", env) == "False"
    assert (
        settings_value("s.DATABASES['default']['OPTIONS']['transaction_mode']", env) == "IMMEDIATE"
    )
    assert "journal_mode=WAL" in settings_value(
        "s.DATABASES['default']['OPTIONS']['init_command']", env
    )
    assert "whitenoise" in settings_value("s.STORAGES['staticfiles']['BACKEND']", env)
    assert settings_value("s.PASSWORD_HASHERS[0]", env).endswith("Argon2PasswordHasher")


def test_redis_url_moves_channels_cache_and_sessions_to_redis(tmp_path):
    env = {"KINWELL_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/3"}
    assert "RedisPubSubChannelLayer" in settings_value(
        "s.CHANNEL_LAYERS['default']['BACKEND']", env
    )
    assert "RedisCache" in settings_value("s.CACHES['default']['BACKEND']", env)
    assert settings_value("s.SESSION_ENGINE", env).endswith("cached_db")


def test_database_url_switches_to_postgresql_with_a_pool_under_asgi(tmp_path):
    env = {"KINWELL_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://u:p@db:5433/kin"}
    assert settings_value("s.DATABASES['default']['ENGINE']", env).endswith("postgresql")
    assert settings_value("s.DATABASES['default']['CONN_MAX_AGE']", env) == "60"
    asgi = {**env, "KINWELL_ASGI": "1"}
    assert "pool" in settings_value("s.DATABASES['default']['OPTIONS']", asgi)


def test_demo_seed_is_idempotent_and_prints_logins(tmp_path):
    env = {"KINWELL_DATA_DIR": str(tmp_path), "KINWELL_DEMO_PASSWORD": "demo-password-1"}
    first = run(["demo"], env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "demo-password-1" in first.stdout
    for role in ("member", "facilitator", "clinician", "moderator"):
        assert role in first.stdout
    second = run(["demo"], env, timeout=120)
    assert second.returncode == 0
    count = settings_value(
        "__import__('kinwell.accounts.models', fromlist=['User']).User.objects.count()", env
    )
    # Five people with logins, and three peers who fill out the demo circle.
    assert count == "8"
    circles = settings_value(
        "__import__('kinwell.circles.models', fromlist=['Circle']).Circle.objects.count()", env
    )
    assert circles == "1"


def test_management_commands_pass_through(tmp_path):
    result = run(["check"], {"KINWELL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_tick_sends_due_reminders_once_and_refuses_a_too_short_interval(tmp_path):
    env = {"KINWELL_DATA_DIR": str(tmp_path)}
    assert run(["migrate", "-v", "0"], env).returncode == 0
    setup = (
        "import datetime, django; django.setup();"
        "from kinwell.accounts.tests.factories import UserFactory;"
        "from kinwell.checkins.models import Reminder;"
        "u = UserFactory(time_zone='UTC');"
        "Reminder.objects.create(user=u, at=datetime.time(0, 0))"
    )
    full_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    full_env.update({**env, "DJANGO_SETTINGS_MODULE": "config.settings"})
    subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=full_env, check=True)
    first = run(["tick", "--once"], env)
    assert first.returncode == 0, first.stderr
    assert "reminders: 1;" in first.stdout
    again = run(["tick", "--once"], env)
    assert "reminders: 0;" in again.stdout
    bad = run(["tick", "--every", "1"], env)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "kinwell: --every must be at least 5 seconds"

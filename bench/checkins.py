"""Check-in pages with 10k and then 1M check-in rows in the table (other members' rows):
time per request for the member's own pages, and the ratio. A member's pages must cost
the same however many people use the instance.

    .venv/bin/python bench/checkins.py [--small 10000] [--large 1000000] [--requests 200]

Runs in-process through Django's WSGI handler (no network), on a throwaway SQLite file,
or on PostgreSQL when BENCH_DATABASE_URL is set (its tables are flushed first).
"""

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's `http` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGES = ["/home/", "/checkin/", "/checkin/history/", "/checkin/insights/?days=90", "/checkin/week/"]


def setup(database_url: str) -> None:
    os.environ["KINWELL_DATA_DIR"] = tempfile.mkdtemp(prefix="kinwell-bench-checkins-")
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("KINWELL_ASGI", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if database_url:
        call_command("flush", interactive=False, verbosity=0)


def add_rows(total: int) -> None:
    """Other members' check-ins until the table holds `total` rows, 1,000 days each."""
    from django.db import transaction
    from django.utils import timezone

    from kinwell.accounts.models import User
    from kinwell.checkins.models import CheckIn

    have = CheckIn.objects.count()
    start = date(2020, 1, 1)
    while have < total:
        n = User.objects.count()
        user = User.objects.create(
            email=f"other{n}@bench.invalid",
            display_name=f"Other {n}",
            adult_confirmed_at=timezone.now(),
        )
        take = min(1000, total - have)
        rows = [
            CheckIn(
                user=user,
                day=start + timedelta(days=i),
                seen=i % 5,
                safe=(i + 1) % 5,
                soothed=(i + 2) % 5,
                secure=(i + 3) % 5,
                stable=(i + 4) % 5,
                window="inside",
                mood=1 + i % 5,
                note="",
            )
            for i in range(take)
        ]
        with transaction.atomic():
            CheckIn.objects.bulk_create(rows, batch_size=1000)
        have += take


def member_cookie() -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone

    from kinwell.accounts.models import User
    from kinwell.checkins.models import CheckIn

    member = User.objects.create(
        email="member@bench.invalid",
        display_name="Bench member",
        adult_confirmed_at=timezone.now(),
        time_zone="Europe/London",
    )
    today = timezone.localdate()
    CheckIn.objects.bulk_create(
        CheckIn(
            user=member,
            day=today - timedelta(days=d),
            seen=d % 5,
            safe=2,
            soothed=3,
            secure=(d * 3) % 5,
            stable=1,
            window=["below", "inside", "above"][d % 3],
            mood=1 + d % 5,
            note="",
        )
        for d in range(1, 120)
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(member.pk)
    store[BACKEND_SESSION_KEY] = "kinwell.accounts.backends.KinwellBackend"
    store[HASH_SESSION_KEY] = member.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def timed(cookie: str, requests: int) -> dict[str, tuple[float, int]]:
    from django.db import connection, reset_queries

    from config.wsgi import application

    def call(path: str) -> None:
        route, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_COOKIE": cookie,
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        status: list[str] = []

        def start_response(code: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(code)

        body = b"".join(application(environ, start_response))
        if not status[0].startswith("200"):
            raise SystemExit(f"{path}: {status[0]} {body[:200]!r}")

    results = {}
    for path in PAGES:
        for _ in range(10):
            call(path)
        executed: list[str] = []

        def count(
            execute: Any, sql: str, params: Any, many: bool, context: Any, executed: Any = executed
        ) -> Any:
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            call(path)
        samples = []
        for _ in range(requests):
            began = time.perf_counter()
            call(path)
            samples.append((time.perf_counter() - began) * 1000)
            reset_queries()
        results[path] = (statistics.median(samples), len(executed))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    setup(os.environ.get("BENCH_DATABASE_URL", ""))
    from django.db import connection

    cookie = member_cookie()
    began = time.perf_counter()
    add_rows(args.small)
    small = timed(cookie, args.requests)
    add_rows(args.large)
    seeded = time.perf_counter() - began
    large = timed(cookie, args.requests)
    print(
        f"database: {connection.vendor}; rows: {args.small:,} then {args.large:,} "
        f"(seeded in {seeded:.0f} s); median of {args.requests} requests, in-process WSGI"
    )
    print(f"{'page':<28} {'ms @small':>10} {'ms @large':>10} {'ratio':>6} {'queries':>8}")
    for path in PAGES:
        (ms_small, q_small), (ms_large, q_large) = small[path], large[path]
        queries = f"{q_small}" if q_small == q_large else f"{q_small}->{q_large}"
        ratio = ms_large / ms_small
        print(f"{path:<28} {ms_small:>10.2f} {ms_large:>10.2f} {ratio:>6.2f} {queries:>8}")


if __name__ == "__main__":
    main()

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
from typing import NoReturn

PRODUCT_COMMANDS = {"serve", "demo", "screen", "score", "match", "programs", "coach", "tick"}


def _fail(message: str) -> NoReturn:
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
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kinwell", *argv])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Bad arguments and bad input files for every `kinwell` subcommand, run in-process.

The subcommands are read from the real argparse parser (kinwell.cli.build_parser), so a
new one is covered as soon as it exists (test_every_subcommand_has_bad_input fails until
it has an entry in BAD_INPUT). Bad input of any kind must end with exit status 2 and
exactly one line on stderr ("kinwell: ..."), never a traceback and never status 1.
Nothing here starts a server, sends mail or touches the real data folder: only argument
and input validation runs, with KINWELL_DATA_DIR and the database file in a tmp folder."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kinwell import cli
from tests.security.fuzz import FUZZ_MORE

Files = Callable[[str, bytes], str]  # (name, content) -> path of a new tmp file


def subcommands(parser: argparse.ArgumentParser | None = None) -> list[tuple[str, ...]]:
    """Every leaf command of the parser, e.g. ("coach", "rate")."""
    parser = parser or cli.build_parser()
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                inner = subcommands(sub)
                found += [(name, *rest) for rest in inner] if inner else [(name,)]
    return found


def run(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """kinwell.cli.main in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    piped_stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    old_stdin = sys.stdin
    sys.stdin = piped_stdin
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = old_stdin
    return int(code or 0), out.getvalue(), err.getvalue()


def assert_refused(argv: list[str], stdin: bytes = b"") -> None:
    code, out, err = run(argv, stdin)
    shown = [a[:60] for a in argv]
    assert "Traceback" not in err + out, f"kinwell {shown}: a traceback\n{err[-2000:]}"
    assert code == 2, f"kinwell {shown}: exit status {code}, stderr {err[:500]!r}"
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), f"kinwell {shown}: stderr {err[:500]!r}"
    assert lines[0].startswith("kinwell: "), f"kinwell {shown}: stderr {err[:500]!r}"


# --- bad things ------------------------------------------------------------------------------

words = st.text(max_size=30)
# Arguments argparse must refuse, whatever the command: unknown options, a stray word.
stray = st.one_of(
    st.sampled_from(["--nope", "--port=", "-x", "--input", "--", "--help=x"]),
    words.filter(lambda w: w and not w.startswith("-")).map(lambda w: f"--{w}"),
)
garbage = st.one_of(
    st.binary(min_size=1, max_size=300).map(lambda b: b"\xff\xfe\x00" + b),  # not UTF-8
    st.just(b"\x00" * 64),
)


def _jsonl_bad_line() -> st.SearchStrategy[bytes]:
    """One line no JSON-lines command may take."""
    values = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
    return st.one_of(
        st.sampled_from(["{", "not json", "[1, 2", '{"id": }', "NaN x"]).map(str.encode),
        st.lists(values, max_size=3).map(lambda v: json.dumps(v).encode()),  # not an object
        st.just(b'{"id": 1}'),  # a field missing
        st.just(b'{"text": "hello"}'),
        st.just(b'{"id": [1], "text": 5}'),  # wrong types
        st.just(b'{"id": true, "text": "x"}'),
        st.just(b'{"id": 1, "text": "' + b"x" * 1_000_000 + b'"'),  # a huge, broken line
        st.just(b"x" * 1_000_000),
        garbage,
    )


def jsonl_file(good_line: bytes) -> st.SearchStrategy[bytes]:
    """Some good lines, then a bad one."""
    return st.tuples(st.integers(0, 3), _jsonl_bad_line()).map(
        lambda t: b"".join([good_line + b"\n"] * t[0]) + t[1] + b"\n"
    )


csv_bad = st.one_of(
    garbage,
    st.just(b""),
    st.just(b"wrong,columns\n1,2\n"),
    st.just(b"seeker_post\nonly one column\n"),
    st.just(b"seeker_post,response_post\na,b,c,d\n"),  # more fields than the header
    st.just(b"\xef\xbb\xbf" + b"x" * 1_000_000 + b"\n"),
)

# Values for each command's own options that must be refused before anything runs.
SERVE_BAD = st.one_of(
    st.sampled_from(["0", "-1", "65535", "99999999999", "abc", "", "1e3", "８０"]).map(
        lambda v: ["--port", v]
    ),
    st.sampled_from(["0", "-3", "x"]).map(lambda v: ["--workers", v]),
    st.sampled_from(["0", "-3", "x"]).map(lambda v: ["--ws-workers", v]),
    st.just(["--threads", "lots"]),
)
TICK_BAD = st.sampled_from(["0", "4", "-60", "x", "", "1.5"]).map(lambda v: ["--every", v])


# --- per command: a strategy of (argv after the command, stdin, files to make) -------------


def _with_file(content: st.SearchStrategy[bytes], make: Callable[[str], list[str]]) -> Any:
    return content.map(lambda body: ("file", body, make))


def _missing(make: Callable[[str], list[str]]) -> Any:
    return st.just(("missing", b"", make))


def _folder(make: Callable[[str], list[str]]) -> Any:
    return st.just(("folder", b"", make))


def _args(args: list[str]) -> Any:
    return ("args", b"", lambda _path: args)


def _stdin(content: st.SearchStrategy[bytes], args: list[str]) -> Any:
    return content.map(lambda body: ("stdin", body, lambda _path: args))


score_values = st.one_of(
    st.integers(0, 20).filter(lambda n: n != 9).map(lambda n: ",".join(["1"] * n)),
    st.sampled_from(["-1", "4", "99", "1e9", "x", "١", "nan", "9" * 5000]).map(
        lambda bad: ",".join(["1"] * 8 + [bad])
    ),
    words.map(lambda w: "x" + w),
)

BAD_INPUT: dict[tuple[str, ...], st.SearchStrategy[Any]] = {
    ("serve",): SERVE_BAD.map(_args),
    ("tick",): TICK_BAD.map(_args),
    ("demo",): st.just(_args(["--port", "1"])),
    ("screen",): st.one_of(
        _with_file(jsonl_file(b'{"id": 1, "text": "fine"}'), lambda p: ["--input", p]),
        _stdin(jsonl_file(b'{"id": "a", "text": "fine"}'), []),
        _missing(lambda p: ["--input", p]),
        _folder(lambda p: ["--input", p]),
    ),
    ("score",): st.one_of(
        st.tuples(words.filter(lambda w: not w.startswith("-")), score_values).map(
            lambda t: _args(["x" + t[0], t[1]])
        ),
        score_values.map(lambda v: _args(["phq9", v])),
        st.just(_args(["phq9"])),
    ),
    ("match",): st.one_of(
        _with_file(jsonl_file(b'{"id": 1}'), lambda p: ["--input", p]),
        _stdin(jsonl_file(b"{}"), ["--input", "-"]),
        _missing(lambda p: ["--input", p]),
        _folder(lambda p: ["--input", p]),
    ),
    ("programs", "check"): st.one_of(
        _missing(lambda p: ["--path", p]),
        _with_file(garbage, lambda p: ["--path", p]),  # a file, not a folder
        st.tuples(st.just("program"), garbage | st.just(b"---\nslug: [\n---\n")).map(
            lambda t: ("program", t[1], lambda p: ["--path", p])
        ),
    ),
    ("backup",): st.one_of(
        _folder(lambda p: ["--output", p]),
        _missing(lambda p: ["--output", str(Path(p) / "no" / "such" / "folder.tar")]),
        st.just(("file", b"taken", lambda p: ["--output", p])),  # exists, no --force
        st.just(_args([])),  # --output is required
    ),
    ("restore",): st.one_of(
        _missing(lambda p: ["--input", p]),
        _folder(lambda p: ["--input", p]),
        _with_file(garbage | st.just(b""), lambda p: ["--input", p]),
        st.just(_args([])),
    ),
    ("coach", "rate"): st.one_of(
        _with_file(csv_bad, lambda p: ["--input", p, "--output", p + ".out.csv"]),
        _missing(lambda p: ["--input", p, "--output", p + ".out.csv"]),
        _folder(lambda p: ["--input", p, "--output", p + ".out.csv"]),
        st.just(_args(["--input", "only-input.csv"])),
    ),
    ("coach", "train"): st.one_of(
        # Always --output into tmp: a train that ran by mistake must not replace the
        # shipped model.
        _with_file(csv_bad, lambda p: ["--data", p, "--output", p + ".model"]),
        _missing(lambda p: ["--data", p, "--output", p + ".model"]),
        _folder(lambda p: ["--data", p, "--output", p + ".model"]),
    ),
}


def test_every_subcommand_has_bad_input():
    assert sorted(subcommands()) == sorted(BAD_INPUT), (
        "a kinwell subcommand without bad input to try: add it to BAD_INPUT"
    )


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A tmp data folder and database path, so nothing real is ever read or replaced."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("KINWELL_DATA_DIR", str(data))
    monkeypatch.setattr(cli, "_sqlite_target", lambda: (data / "kinwell.sqlite3").resolve())
    return tmp_path


def _prepare(root: Path, plan: tuple[str, bytes, Callable[[str], list[str]]], n: int) -> Any:
    kind, content, make = plan
    where = root / f"case{n}"
    where.mkdir()
    path = where / "input"
    if kind == "file":
        path.write_bytes(content)
    elif kind == "folder":
        path.mkdir()
    elif kind == "program":
        (path / "bad-program").mkdir(parents=True)
        (path / "bad-program" / "program.md").write_bytes(content)
    stdin = content if kind == "stdin" else b""
    return make(str(path)), stdin


@pytest.mark.parametrize("command", sorted(BAD_INPUT), ids=" ".join)
def test_bad_input_is_one_line_and_status_2(isolated, command):
    counter = [0]

    @FUZZ_MORE
    @given(plan=BAD_INPUT[command], extra=st.lists(stray, max_size=1))
    def fuzz(plan: Any, extra: list[str]) -> None:
        counter[0] += 1
        args, stdin = _prepare(isolated, plan, counter[0])
        assert_refused([*command, *args, *extra], stdin)

    fuzz()


@pytest.mark.parametrize("command", sorted(BAD_INPUT), ids=" ".join)
def test_unknown_options_are_one_line_and_status_2(isolated, command):
    @FUZZ_MORE
    @given(extra=st.lists(stray, min_size=1, max_size=2))
    def fuzz(extra: list[str]) -> None:
        assert_refused([*command, *extra])

    fuzz()


@FUZZ_MORE
@given(name=st.text(min_size=1, max_size=20).filter(lambda w: not w.startswith("-")))
def test_an_unknown_command_is_one_line_and_status_2(name):
    from django.core.management import get_commands

    if name in cli.PRODUCT_COMMANDS or name in get_commands() or name in ("help", "version"):
        return
    assert_refused([name])

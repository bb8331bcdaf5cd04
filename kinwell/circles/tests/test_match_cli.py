import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from kinwell.cli import main

ROOT = Path(__file__).resolve().parents[3]


def person(ident, **changes):
    row = {
        "id": ident,
        "focus": "grief",
        "language": "en",
        "utc_offset": 1,
        "slots": ["mon-19"],
        "stage": "middle",
        "exclude": [],
    }
    row.update(changes)
    return row


def jsonl(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)


POOL = (
    [person(f"g{i}", utc_offset=i % 3, stage="steady" if i == 0 else "early") for i in range(6)]
    + [person(i, focus="trauma", language="es", slots=["tue-21", "sat-12"]) for i in range(5)]
    + [person("alone", focus="loneliness"), person("far", slots=["sun-08"])]
)


def run(capsys, monkeypatch, argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["match", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_one_line_per_circle_then_the_unmatched(tmp_path, capsys, monkeypatch):
    path = tmp_path / "pool.jsonl"
    path.write_text(jsonl(POOL), encoding="utf-8")
    code, out, err = run(capsys, monkeypatch, ["--input", str(path)])
    assert code == 0 and err == ""
    lines = [json.loads(line) for line in out.splitlines()]
    circles, last = lines[:-1], lines[-1]
    assert all(set(c) == {"circle", "members", "slot", "focus", "language"} for c in circles)
    assert [c["circle"] for c in circles] == ["c1", "c2"]
    grief = next(c for c in circles if c["focus"] == "grief")
    assert grief == {
        "circle": grief["circle"],
        "members": ["g0", "g1", "g2", "g3", "g4", "g5"],
        "slot": "mon-19",
        "focus": "grief",
        "language": "en",
    }
    trauma = next(c for c in circles if c["focus"] == "trauma")
    assert trauma["members"] == [0, 1, 2, 3, 4]  # integer ids stay integers
    assert trauma["language"] == "es" and trauma["slot"] in {"tue-21", "sat-12"}
    assert last == {"unmatched": ["alone", "far"]}


def test_reads_stdin_when_input_is_omitted_or_a_dash(capsys, monkeypatch):
    code, omitted, _ = run(capsys, monkeypatch, [], stdin=jsonl(POOL))
    assert code == 0
    code, dash, _ = run(capsys, monkeypatch, ["--input", "-"], stdin=jsonl(POOL))
    assert code == 0
    assert omitted == dash
    assert json.loads(omitted.splitlines()[-1]) == {"unmatched": ["alone", "far"]}


def test_an_empty_pool_prints_only_an_empty_unmatched_line(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, [], stdin="\n\n")
    assert code == 0
    assert out == '{"unmatched": []}\n'


def test_output_is_the_same_for_the_same_input_and_the_same_circles_in_any_order(
    capsys, monkeypatch
):
    rng = random.Random(5)
    rows = [
        person(
            f"p{i}",
            utc_offset=rng.choice([-5, 0, 5.5]),
            slots=rng.sample(["mon-19", "tue-19", "wed-21"], rng.randint(1, 2)),
            stage=rng.choice(["early", "middle", "steady"]),
            exclude=[f"p{rng.randrange(40)}"] if rng.random() < 0.2 else [],
        )
        for i in range(40)
    ]
    _, first, _ = run(capsys, monkeypatch, [], stdin=jsonl(rows))
    _, second, _ = run(capsys, monkeypatch, [], stdin=jsonl(rows))
    assert first == second
    rng.shuffle(rows)
    _, shuffled, _ = run(capsys, monkeypatch, [], stdin=jsonl(rows))

    def groups(out):
        lines = [json.loads(line) for line in out.splitlines()]
        return {frozenset(c["members"]) for c in lines[:-1]}, set(lines[-1]["unmatched"])

    assert groups(first) == groups(shuffled)
    assert groups(first)[0], "the pool should form at least one circle"


BAD = [
    ("{oops", "line 3: not valid JSON"),
    ("[1, 2]", "line 3: expected a JSON object"),
    (json.dumps({k: v for k, v in person("x").items() if k != "slots"}), 'line 3: missing "slots"'),
    (json.dumps(person("x", utc_offset="5")), 'line 3: "utc_offset" must be a number of hours'),
    (json.dumps(person("x", utc_offset=True)), 'line 3: "utc_offset" must be a number of hours'),
    (json.dumps(person("x", utc_offset=30)), 'line 3: "utc_offset" must be between -12 and 14'),
    (json.dumps(person("x", stage="late")), 'line 3: "stage" must be one of early, middle, steady'),
    (json.dumps(person("x", slots=[])), 'line 3: "slots" must not be empty'),
    (
        json.dumps(person("x", slots="mon-19")),
        'line 3: "slots" must be a list of non-empty strings',
    ),
    (json.dumps(person("x", exclude=[None])), 'line 3: "exclude" must be a list of ids'),
    (json.dumps(person(1.5)), 'line 3: "id" must be a non-empty string or an integer'),
    (json.dumps(person("x", focus=7)), 'line 3: "focus" must be a non-empty string'),
    (json.dumps(person("a")), 'line 3: "id" "a" appears on an earlier line'),
]


@pytest.mark.parametrize(("bad", "message"), BAD)
def test_a_malformed_line_exits_2_with_one_line_naming_file_and_line(
    tmp_path, capsys, monkeypatch, bad, message
):
    path = tmp_path / "POOL.jsonl"
    # A blank line still counts, so the bad one is line 3.
    path.write_text(json.dumps(person("a")) + "\n\n" + bad + "\n", encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        run(capsys, monkeypatch, ["--input", str(path)])
    out, err = capsys.readouterr()
    assert caught.value.code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"kinwell: {path} {message}"), err


def test_a_bad_line_on_stdin_names_stdin(capsys, monkeypatch):
    with pytest.raises(SystemExit) as caught:
        run(capsys, monkeypatch, [], stdin=json.dumps(person("x", stage="done")) + "\n")
    assert caught.value.code == 2
    assert capsys.readouterr().err == (
        'kinwell: stdin line 1: "stage" must be one of early, middle, steady\n'
    )


def test_an_unreadable_file_exits_2_with_one_line(tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit) as caught:
        run(capsys, monkeypatch, ["--input", str(tmp_path / "missing.jsonl")])
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert err.startswith("kinwell: cannot read ") and "missing.jsonl" in err
    assert err.count("\n") == 1


def test_the_installed_command_fails_without_a_traceback(tmp_path):
    path = tmp_path / "POOL.jsonl"
    path.write_text(jsonl(POOL[:3]) + "\n" + json.dumps(person("z", slots=[])) + "\n", "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kinwell.cli", "match", "--input", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f'kinwell: {path} line 5: "slots" must not be empty\n'
    ok = subprocess.run(
        [sys.executable, "-m", "kinwell.cli", "match"],
        input=jsonl(POOL),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout.splitlines()[-1]) == {"unmatched": ["alone", "far"]}

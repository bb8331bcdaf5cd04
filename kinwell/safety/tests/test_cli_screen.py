import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def screen(stdin: str = "", *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kinwell.cli", "screen", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_screens_json_lines_from_stdin_in_order():
    lines = [
        {"id": "a", "text": "I'm going to kill myself tonight, I've got the pills ready"},
        {"id": 2, "text": "this traffic is killing me lol"},
        {"id": "c", "text": ""},
    ]
    result = screen("\n".join(json.dumps(x) for x in lines) + "\n\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c"]
    assert out[0]["level"] == "urgent" and out[0]["reasons"]
    assert out[1]["level"] == "none"
    assert out[2]["level"] == "none"
    assert all(set(o) == {"id", "level", "reasons"} for o in out)


def test_reads_a_file(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"id": 1, "text": "Tengo miedo pero estoy bien"}) + "\n", "utf-8")
    result = screen("", "--input", str(data))
    assert result.returncode == 0
    assert json.loads(result.stdout)["id"] == 1


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ('{"id": 1, "text": "ok"}\nnot json\n', "line 2: not valid JSON"),
        ('{"id": 1}\n', 'line 1: missing "text"'),
        ('{"id": 1, "text": 5}\n', 'line 1: "text" has the wrong type'),
        ("[1, 2]\n", "line 1: expected a JSON object"),
    ],
)
def test_a_malformed_line_exits_2_naming_it(stdin, message):
    result = screen(stdin)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"kinwell: {message}")


def test_missing_file_is_one_line(tmp_path):
    result = screen("", "--input", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1

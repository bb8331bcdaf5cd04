"""`kinwell coach rate` and `kinwell coach train`: outputs, exit codes, one-line errors."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kinwell.coach.model import MECHANISMS
from kinwell.coach.train import CORPUS_DIR

ROOT = Path(__file__).resolve().parents[3]


def kinwell(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kinwell.cli", "coach", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kinwell: ")
    for needle in needles:
        assert needle in lines[0]


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_rate_keeps_every_row_and_column_and_adds_levels(tmp_path):
    source = tmp_path / "in.csv"
    rows = [
        {
            "id": "1",
            "seeker_post": "My dog died.",
            "response_post": "I feel so sad reading this",
            "note": "x",
        },
        {
            "id": "2",
            "seeker_post": "Lonely.",
            "response_post": "What happened after that?",
            "note": "",
        },
        {"id": "3", "seeker_post": "Hi", "response_post": "", "note": "empty reply"},
        {
            "id": "4",
            "seeker_post": "A\nlong\npost",
            "response_post": 'Line one,\n"quoted"\nline three',
            "note": "é ✓",
        },
    ]
    # A byte-order mark, as spreadsheet programs write it.
    with source.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "seeker_post", "response_post", "note"])
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "out.csv"
    result = kinwell("rate", "--input", str(source), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 4
    header, written = read(out)
    assert header == ["id", "seeker_post", "response_post", "note", *MECHANISMS]
    assert len(written) == 4
    for original, row in zip(rows, written, strict=True):
        for key, value in original.items():
            assert row[key] == value
        for name in MECHANISMS:
            assert row[name] in {"0", "1", "2"}
    assert written[0]["emotional_reactions"] == "2"
    assert written[1]["explorations"] in {"1", "2"}
    assert [written[2][m] for m in MECHANISMS] == ["0", "0", "0"]


def test_rate_overwrites_level_columns_it_already_has(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("seeker_post,response_post,explorations\r\nHi,ok,2\r\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert kinwell("rate", "--input", str(source), "--output", str(out)).returncode == 0
    header, written = read(out)
    assert header == [
        "seeker_post",
        "response_post",
        "explorations",
        "emotional_reactions",
        "interpretations",
    ]
    assert written[0]["explorations"] == "0"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("seeker_post,reply\nhi,there\n", "no response_post column"),
        ("text\nhello\n", "no seeker_post or response_post column"),
        ("", "is empty"),
        ("seeker_post,response_post\nhi,there,extra\n", "row 2 has more fields"),
    ],
)
def test_rate_rejects_bad_columns_with_one_line(tmp_path, content, needle):
    source = tmp_path / "in.csv"
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "out.csv"
    one_line_error(kinwell("rate", "--input", str(source), "--output", str(out)), needle)
    assert not out.exists()


def test_rate_rejects_unreadable_input(tmp_path):
    out = tmp_path / "out.csv"
    one_line_error(
        kinwell("rate", "--input", str(tmp_path / "missing.csv"), "--output", str(out)),
        "cannot read",
    )
    binary = tmp_path / "latin1.csv"
    binary.write_bytes("seeker_post,response_post\ncaf\xe9,ok\n".encode("latin-1"))
    one_line_error(kinwell("rate", "--input", str(binary), "--output", str(out)), "not UTF-8")
    one_line_error(kinwell("rate", "--input", str(tmp_path), "--output", str(out)), "cannot read")


def test_rate_needs_both_options(tmp_path):
    one_line_error(kinwell("rate", "--input", str(tmp_path / "x.csv")), "--output")


def test_rate_reports_an_unwritable_output(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("seeker_post,response_post\nhi,ok\n", encoding="utf-8")
    one_line_error(
        kinwell("rate", "--input", str(source), "--output", str(tmp_path / "no" / "out.csv")),
        "cannot write",
    )


def test_train_writes_a_model_the_runtime_reads(tmp_path):
    pytest.importorskip("sklearn")
    from kinwell.coach import model as coach_model

    data = tmp_path / "small.csv"
    with (CORPUS_DIR / "part-b.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))[:400]
    # Flags are optional: leave them out entirely.
    keep = ["seeker_post", "response_post", *MECHANISMS]
    with data.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keep, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    target = tmp_path / "model.json"
    result = kinwell("train", "--data", str(data), "--output", str(target))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 400 and summary["data"] == ["small.csv"]
    model = coach_model.load(target)
    prediction = model.predict("I feel so sad reading this")
    assert set(prediction.levels) == set(MECHANISMS)
    assert not any(prediction.flags.values())  # no flag labels: flags never fire


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("seeker_post,response_post\nhi,there\n", "no column emotional_reactions"),
        (
            "response_post,emotional_reactions,interpretations,explorations\nhi,3,0,0\n",
            "row 2: emotional_reactions must be 0, 1 or 2",
        ),
        (
            "response_post,emotional_reactions,interpretations,explorations,advice\nhi,1,0,0,yes\n",
            "advice must be 0 or 1",
        ),
        (
            "response_post,emotional_reactions,interpretations,explorations\nhi,1,0,0\n",
            "needs examples of every level",
        ),
    ],
)
def test_train_rejects_bad_data_with_one_line(tmp_path, content, needle):
    pytest.importorskip("sklearn")
    data = tmp_path / "bad.csv"
    data.write_text(content, encoding="utf-8")
    target = tmp_path / "model.json"
    one_line_error(kinwell("train", "--data", str(data), "--output", str(target)), needle)
    assert not target.exists()


def test_train_without_scikit_learn_says_to_install_the_dev_extras(tmp_path):
    # Hide scikit-learn from the child process, as on a production install.
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        "import importlib.abc, sys\n"
        "class _Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'sklearn' or name.startswith('sklearn.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, _Block())\n",
        encoding="utf-8",
    )
    import os

    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kinwell.cli",
            "coach",
            "train",
            "--output",
            str(tmp_path / "m.json"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    one_line_error(result, "scikit-learn", "dev")

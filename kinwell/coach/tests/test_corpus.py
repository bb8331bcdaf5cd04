"""Our corpus files: the format the trainer and the practice page rely on."""

import csv
from pathlib import Path

import pytest

from kinwell.coach.model import FLAGS, MECHANISMS
from kinwell.coach.train import CORPUS_DIR

HEADER = ["id", "focus", "seeker_post", "response_post", *MECHANISMS, *FLAGS]
FILES = sorted(CORPUS_DIR.glob("part-*.csv"))


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_part_b_is_there():
    assert CORPUS_DIR / "part-b.csv" in FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_file_has_our_header(path):
    with path.open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == HEADER


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_labels_are_valid_and_texts_present(path):
    for row in rows_of(path):
        assert row["seeker_post"].strip() and row["response_post"].strip(), row["id"]
        for name in MECHANISMS:
            assert row[name] in {"0", "1", "2"}, (row["id"], name, row[name])
        for name in FLAGS:
            assert row[name] in {"0", "1"}, (row["id"], name, row[name])


def test_ids_are_unique_across_files():
    ids = [row["id"] for path in FILES for row in rows_of(path)]
    assert ids and len(ids) == len(set(ids))


def test_every_level_of_every_mechanism_is_present():
    rows = [row for path in FILES for row in rows_of(path)]
    for name in MECHANISMS:
        assert {row[name] for row in rows} == {"0", "1", "2"}, name
    for name in FLAGS:
        assert {row[name] for row in rows} == {"0", "1"}, name


def test_enough_pairs_once_part_a_is_complete():
    total = sum(len(rows_of(path)) for path in FILES)
    if (CORPUS_DIR / "README.md").exists():
        assert total >= 2000
    else:
        assert total >= 1000  # part B alone while part A is being written


def _kappa(a: list[int], b: list[int]) -> float:
    labels = sorted(set(a) | set(b))
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    expected = sum((a.count(k) / n) * (b.count(k) / n) for k in labels)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def test_double_labelled_sample_agrees_as_documented():
    import csv
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "corpus"
    first = {}
    for part in ("part-a.csv", "part-b.csv"):
        with open(folder / part, encoding="utf-8", newline="") as handle:
            first.update({row["id"]: row for row in csv.DictReader(handle)})
    with open(folder / "second-annotation.csv", encoding="utf-8", newline="") as handle:
        second = list(csv.DictReader(handle))
    assert len(second) == 200
    documented = {
        "emotional_reactions": 0.92,
        "interpretations": 0.86,
        "explorations": 0.85,
        "advice": 0.94,
        "minimising": 0.89,
        "judgement": 0.96,
        "self_focus": 0.97,
    }
    for column, kappa in documented.items():
        a = [int(first[row["id"]][column]) for row in second]
        b = [int(row[column]) for row in second]
        assert round(_kappa(a, b), 2) == kappa, column

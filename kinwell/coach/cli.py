"""`kinwell coach rate` and `kinwell coach train` (wired into :mod:`kinwell.cli`).

Neither needs Django or a database: the model is a file read by pure Python.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any, NoReturn

from kinwell.coach.model import MECHANISMS


def _fail(message: str) -> NoReturn:
    from kinwell.cli import _fail as fail

    fail(message)


def add_commands(sub: Any) -> None:
    """Add ``coach rate`` and ``coach train`` to the `kinwell` parser's subcommands."""
    coach = sub.add_parser("coach", help="the empathy coach: rate replies, train the model")
    actions = coach.add_subparsers(
        dest="coach_command", required=True, metavar="{rate,train}", parser_class=type(coach)
    )
    rate = actions.add_parser(
        "rate",
        help="rate replies in a CSV (seeker_post, response_post) on the three mechanisms",
    )
    rate.add_argument("--input", required=True, help="CSV with seeker_post and response_post")
    rate.add_argument(
        "--output",
        required=True,
        help="CSV to write: the same rows plus emotional_reactions, interpretations and "
        "explorations (0, 1, 2); columns of those names are overwritten",
    )
    rate.set_defaults(func=cmd_rate)
    train = actions.add_parser("train", help="train the empathy model from labelled CSV")
    train.add_argument(
        "--data",
        action="append",
        help="labelled CSV (repeatable; default: the corpus that ships with Kinwell)",
    )
    train.add_argument("--output", help="model file to write (default: the shipped model)")
    train.set_defaults(func=cmd_train)


def _read(path: str) -> tuple[list[str], list[dict[str, str]]]:
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        _fail(f"cannot read {path}: it is a directory")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        _fail(f"{path} is not UTF-8 text")
    import io

    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = list(reader.fieldnames or [])
        rows = list(reader)
    except csv.Error as exc:
        _fail(f"{path} is not valid CSV ({exc})")
    return header, rows


def cmd_rate(args: argparse.Namespace) -> int:
    header, rows = _read(args.input)
    if not header:
        _fail(f"{args.input} is empty: expected a header with seeker_post and response_post")
    missing = [c for c in ("seeker_post", "response_post") if c not in header]
    if missing:
        _fail(f"{args.input} has no {' or '.join(missing)} column")
    for number, row in enumerate(rows, start=2):
        if None in row:
            _fail(f"{args.input} row {number} has more fields than the header")
    from kinwell.coach import model as coach_model

    try:
        coach_model.model()
    except (OSError, ValueError) as exc:
        _fail(f"cannot load the coach model ({exc})")
    columns = header + [m for m in MECHANISMS if m not in header]
    counts = {m: [0, 0, 0] for m in MECHANISMS}
    for row in rows:
        levels = coach_model.rate(row.get("response_post") or "")
        for m in MECHANISMS:
            row[m] = str(levels[m])
            counts[m][levels[m]] += 1
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(rows)
    except OSError as exc:
        _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    print(json.dumps({"rows": len(rows), "output": args.output, "levels": counts}))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    try:
        import sklearn  # noqa: F401  (a dev dependency: only training needs it)
    except ImportError:
        _fail("training needs scikit-learn: install the dev extras (pip install -e '.[dev]')")
    from kinwell.coach.train import CorpusError, train

    try:
        summary = train(args.data, args.output)
    except CorpusError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write the model: {exc.strerror or exc}")
    print(json.dumps(summary))
    return 0

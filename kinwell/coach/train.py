"""Train the empathy coach's model and export it as JSON for the pure-Python scorer.

    kinwell coach train [--data CSV ...] [--output PATH]

The input is labelled (seeker post, reply) pairs with our corpus's columns: ``response_post``
and the three mechanism levels (0, 1, 2) are required; ``seeker_post`` and the flags
(``advice``, ``minimising``, ``judgement``, ``self_focus``: 0 or 1) are optional, and a flag
head is fitted on the rows that carry it. The default data is our own openly licensed corpus
in ``corpus/``. Never pass EPITOME here: its licence is non-commercial research only, so a
model trained on it could not ship with Kinwell. ``bench/coach.py`` uses it to evaluate.

scikit-learn (a dev dependency) is imported only by this module. Features come from
:mod:`kinwell.coach.model` itself (its analyzers are handed to ``TfidfVectorizer``), and the
weights written to the file are rounded first and put back into the scikit-learn model, so
the shipped file and scikit-learn give the same predictions.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kinwell.coach import model as coach_model
from kinwell.coach.model import FLAGS, FORMAT, HEADS, MECHANISMS

CORPUS_DIR = Path(__file__).parent / "corpus"
REQUIRED = ("response_post", *MECHANISMS)
SIGNIFICANT = 7  # digits kept in the exported idf and weights


class CorpusError(ValueError):
    """Bad training input; the message is one line that names the file and the problem."""


def corpus_files() -> list[Path]:
    """Our corpus files, part A first (it may still be being written)."""
    return sorted(CORPUS_DIR.glob("part-*.csv"))


# ------------------------------------------------------------------------------ reading


def read_csv(path: str | Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a UTF-8 CSV (a byte-order mark is fine); CorpusError otherwise."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read {name}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{name} is not UTF-8 text") from exc
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        rows = list(reader)
    except csv.Error as exc:
        raise CorpusError(f"{name} is not valid CSV ({exc})") from exc
    return header, rows


def load_rows(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Labelled rows from every file: text, seeker, levels and flags (None when missing)."""
    out: list[dict[str, Any]] = []
    for path in paths:
        header, rows = read_csv(path)
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise CorpusError(
                f"{path} has no column {', '.join(missing)} (needs {', '.join(REQUIRED)})"
            )
        for number, row in enumerate(rows, start=2):
            item: dict[str, Any] = {
                "text": row.get("response_post") or "",
                "seeker": row.get("seeker_post") or "",
                "id": row.get("id") or f"{path}:{number}",
            }
            for name in MECHANISMS:
                value = (row.get(name) or "").strip()
                if value not in ("0", "1", "2"):
                    raise CorpusError(
                        f"{path} row {number}: {name} must be 0, 1 or 2, not {value!r}"
                    )
                item[name] = int(value)
            for name in FLAGS:
                value = (row.get(name) or "").strip() if name in header else ""
                if value not in ("", "0", "1"):
                    raise CorpusError(f"{path} row {number}: {name} must be 0 or 1, not {value!r}")
                item[name] = int(value) if value else None
            out.append(item)
    if not out:
        raise CorpusError("no labelled rows to train on")
    return out


# ------------------------------------------------------------------------------ fitting


@dataclass(frozen=True)
class Design:
    """One set of choices that cross-validation compares (``bench/coach.py --designs``)."""

    name: str = "word 1-2-grams + question words"
    word_ngrams: int = 2
    questions: bool = True  # also the words of questions, marked ("q:feel")
    char_range: tuple[int, int] | None = None  # e.g. (2, 5) adds character n-grams
    char_weight: float = 1.0
    min_df: int = 2
    max_word: int | None = None
    max_char: int | None = 20_000
    c: dict[str, float] = field(default_factory=lambda: dict.fromkeys(HEADS, 4.0))
    balanced: bool = True


# Chosen by 5-fold cross-validation grouped by seeker post on parts A and B of our corpus,
# on the mean macro-F1 of the three mechanisms (RESULTS.md): marking the words of questions
# lifted explorations by about 3 points; character n-grams, word 3-grams and other C did
# not help, and word features alone are the fastest and the easiest to explain.
DEFAULT = Design()

# The alternatives ``bench/coach.py --designs`` compares with DEFAULT.
ALTERNATIVES = (
    Design(name="word 1-2-grams", questions=False),
    Design(name="word 1-3-grams + question words", word_ngrams=3),
    Design(name="word 1-2 + char 2-5", char_range=(2, 5)),
    Design(name="word 1-2 + char 3-5 (x0.5)", char_range=(3, 5), char_weight=0.5),
    Design(name="word 1-2, C=1", c=dict.fromkeys(HEADS, 1.0)),
    Design(name="word 1-2, C=16", c=dict.fromkeys(HEADS, 16.0)),
    Design(name="word 1-2, classes not reweighted", balanced=False),
)


@dataclass
class Fitted:
    design: Design
    word: Any  # TfidfVectorizer
    char: Any | None
    heads: dict[str, Any]  # head -> LogisticRegression (None: no labels to learn from)
    counts: dict[str, int]

    def matrix(self, texts: Sequence[str]) -> Any:
        from scipy import sparse

        blocks = [self.word.transform(texts)]
        if self.char is not None:
            blocks.append(self.char.transform(texts) * self.design.char_weight)
        return sparse.hstack(blocks, format="csr")

    def predict(self, texts: Sequence[str]) -> dict[str, list[int]]:
        x = self.matrix(texts)
        out: dict[str, list[int]] = {}
        for name in HEADS:
            clf = self.heads.get(name)
            if clf is None:
                out[name] = [0] * len(texts)
            else:
                out[name] = [int(v) for v in clf.predict(x)]
        return out

    def predict_proba(self, texts: Sequence[str]) -> dict[str, list[list[float]]]:
        x = self.matrix(texts)
        return {
            name: clf.predict_proba(x).tolist()
            for name, clf in self.heads.items()
            if clf is not None
        }


def _vectorizer(analyzer: Any, min_df: int, max_features: int | None) -> Any:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=analyzer,
        sublinear_tf=True,
        smooth_idf=True,
        norm="l2",
        min_df=min_df,
        max_features=max_features,
        dtype=np.float64,
    )


def fit(rows: Sequence[dict[str, Any]], design: Design = DEFAULT) -> Fitted:
    from sklearn.linear_model import LogisticRegression

    texts = [r["text"] for r in rows]
    word = _vectorizer(
        coach_model.word_analyzer(design.word_ngrams, design.questions),
        design.min_df,
        design.max_word,
    ).fit(texts)
    char = (
        _vectorizer(
            coach_model.char_analyzer(*design.char_range), design.min_df, design.max_char
        ).fit(texts)
        if design.char_range
        else None
    )
    fitted = Fitted(design, word, char, {}, {})
    x = fitted.matrix(texts)
    for name in HEADS:
        keep = [i for i, r in enumerate(rows) if r[name] is not None]
        y = [rows[i][name] for i in keep]
        fitted.counts[name] = len(keep)
        if len(set(y)) < 2:
            fitted.heads[name] = None
            continue
        clf = LogisticRegression(
            C=design.c[name],
            class_weight="balanced" if design.balanced else None,
            max_iter=5000,
        )
        clf.fit(x[keep], y)
        fitted.heads[name] = clf
    return fitted


# ------------------------------------------------------------------------------ export


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT}g}")


def export(fitted: Fitted, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON the runtime reads. Rounds the fitted model's numbers in place first, so that
    scikit-learn (used in tests) and the exported file predict from the same numbers."""
    import numpy as np

    design = fitted.design
    blocks = [("word", fitted.word, 1.0)]
    if fitted.char is not None:
        blocks.append(("char", fitted.char, design.char_weight))
    for _, vec, _ in blocks:
        vec.idf_ = np.array([_round(v) for v in vec.idf_])
    sizes = [len(vec.vocabulary_) for _, vec, _ in blocks]
    n_features = sum(sizes)
    heads_meta: list[dict[str, Any]] = []
    columns: list[np.ndarray] = []  # one weight vector (over all features) per column
    intercept: list[float] = []
    for name in HEADS:
        clf = fitted.heads.get(name)
        kind = "multinomial" if name in MECHANISMS else "binary"
        width = 3 if kind == "multinomial" else 1
        heads_meta.append({"name": name, "kind": kind, "offset": len(intercept), "width": width})
        if clf is None:
            # No labels for this flag: a head that never fires.
            columns.extend(np.zeros(n_features) for _ in range(width))
            intercept.extend([-30.0] * width)
            continue
        clf.coef_ = np.vectorize(_round)(clf.coef_)
        clf.intercept_ = np.vectorize(_round)(clf.intercept_)
        if kind == "multinomial":
            if list(clf.classes_) != [0, 1, 2]:
                raise CorpusError(f"{name} needs examples of every level 0, 1 and 2 to train")
            columns.extend(clf.coef_[k] for k in range(3))
            intercept.extend(float(v) for v in clf.intercept_)
        else:
            columns.append(clf.coef_[0])
            intercept.append(float(clf.intercept_[0]))
    weights = np.vstack(columns).T  # features x columns
    out: dict[str, Any] = {
        "format": FORMAT,
        "word_ngrams": design.word_ngrams,
        "questions": design.questions,
        "char_range": list(design.char_range) if design.char_range else None,
        "heads": heads_meta,
        "intercept": intercept,
        "meta": meta or {},
    }
    start = 0
    for (block, vec, scale), size in zip(blocks, sizes, strict=True):
        terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
        table: dict[str, list[float]] = {}
        for i, term in enumerate(terms):
            # The char block's scale folds into its idf (the L2 norm is taken before it).
            row = weights[start + i] * scale if scale != 1.0 else weights[start + i]
            table[term] = [float(vec.idf_[i])] + [float(w) for w in row]
        out[block] = table
        start += size
    out.setdefault("char", {})
    return out


def write(data: dict[str, Any], path: str | Path) -> int:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if out.suffix == ".gz":
        import gzip

        with gzip.open(out, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
    return out.stat().st_size


# ------------------------------------------------------------------------------ scoring


def macro_f1(gold: Sequence[int], pred: Sequence[int], labels: Sequence[int]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def accuracy(gold: Sequence[int], pred: Sequence[int]) -> float:
    return sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / max(1, len(gold))


def binary_f1(gold: Sequence[int], pred: Sequence[int]) -> float:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == 1 and p == 1)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if g == 0 and p == 1)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == 1 and p == 0)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _folds(rows: Sequence[dict[str, Any]], k: int) -> list[list[int]]:
    """Rows grouped by seeker post (replies to one post never straddle folds), groups dealt
    round-robin in a fixed shuffled order: folds of similar size, same every run."""
    import random

    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r["seeker"] or r["id"], []).append(i)
    keys = sorted(groups)
    random.Random(2020).shuffle(keys)
    keys.sort(key=lambda g: -len(groups[g]))  # stable: big groups spread first
    folds: list[list[int]] = [[] for _ in range(k)]
    for key in keys:
        smallest = min(range(k), key=lambda f: len(folds[f]))
        folds[smallest].extend(groups[key])
    return folds


def cross_validate(
    rows: Sequence[dict[str, Any]], design: Design = DEFAULT, k: int = 5
) -> dict[str, dict[str, float]]:
    """Grouped k-fold scores per head: macro-F1 and accuracy (mechanisms), F1 (flags)."""
    gold: dict[str, list[int]] = {h: [] for h in HEADS}
    pred: dict[str, list[int]] = {h: [] for h in HEADS}
    for test in _folds(rows, k):
        held = set(test)
        train_rows = [r for i, r in enumerate(rows) if i not in held]
        fitted = fit(train_rows, design)
        test_rows = [rows[i] for i in test]
        predicted = fitted.predict([r["text"] for r in test_rows])
        for name in HEADS:
            for r, p in zip(test_rows, predicted[name], strict=True):
                if r[name] is not None:
                    gold[name].append(r[name])
                    pred[name].append(p)
    out: dict[str, dict[str, float]] = {}
    for name in HEADS:
        if name in MECHANISMS:
            out[name] = {
                "macro_f1": macro_f1(gold[name], pred[name], (0, 1, 2)),
                "accuracy": accuracy(gold[name], pred[name]),
                "n": len(gold[name]),
            }
        else:
            out[name] = {
                "f1": binary_f1(gold[name], pred[name]),
                "accuracy": accuracy(gold[name], pred[name]),
                "n": len(gold[name]),
            }
    return out


# ------------------------------------------------------------------------------ command


def train(
    paths: Sequence[str | Path] | None = None,
    output: str | Path | None = None,
    design: Design = DEFAULT,
) -> dict[str, Any]:
    """Fit on ``paths`` (default: our corpus), write the model file, return a summary."""
    files = [Path(p) for p in paths] if paths else corpus_files()
    rows = load_rows(files)
    for name in MECHANISMS:
        seen = Counter(r[name] for r in rows)
        if len(seen) < 3:
            raise CorpusError(f"{name} needs examples of every level 0, 1 and 2 to train")
    fitted = fit(rows, design)
    meta = {
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": [p.name for p in files],
        "rows": len(rows),
        "design": design.name,
        "C": design.c,
        "balanced": design.balanced,
        "features": {
            "word": len(fitted.word.vocabulary_),
            "char": len(fitted.char.vocabulary_) if fitted.char is not None else 0,
        },
        "labelled": fitted.counts,
    }
    data = export(fitted, meta)
    target = Path(output) if output else coach_model.MODEL_FILE
    size = write(data, target)
    return {**meta, "output": str(target), "bytes": size}

"""Train the crisis-screening model and export it as plain JSON for the pure-Python scorer.

    python -m kinwell.safety.train_screening \\
        --data kinwell/safety/training/train.jsonl \\
        --extra kinwell/safety/training/extra.jsonl \\
        --dev kinwell/safety/training/dev.jsonl \\
        --out kinwell/safety/model/screening_model.json

Features are computed by :mod:`kinwell.safety.screening` itself (word 1-2-grams and
character 3-5-grams of the normalised, idiom-masked text, plus the lexicon's findings), so
training and run time cannot drift apart. TF-IDF weighting, the model (multinomial logistic
regression) and pruning to the most useful terms happen here; scikit-learn is imported only
by this module. Thresholds are chosen on the development set, never on the evaluation set.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kinwell.safety import screening

LEVELS = screening.LEVELS
CHAR_RANGE = (3, 5)
MIN_DF = 2
# Kept terms per block after pruning: the exported file stays small enough to load fast
# and review, and the dropped terms carry almost no weight.
KEEP_WORD = 6000
KEEP_CHAR = 9000
C_GRID = (2.0, 5.0, 10.0)
# Urgent recall wanted on the development set: every urgent item. The target on new text is
# 0.95, and development-set recall overstates it: the lexicon was refined on development
# errors (a first evaluation run with 0.98 here gave 0.85 on the evaluation set).
URGENT_RECALL_TARGET = 1.0
# The lexicon was written from the training and development texts, so on them it looks
# better than it will on new text. The model alone (never fitted on the development set)
# must therefore reach the recall target by itself; the lexicon can only add to it.
MODEL_ALONE_URGENT_RECALL = 0.95


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                row = json.loads(line)
                if row.get("level") in LEVELS and isinstance(row.get("text"), str):
                    rows.append(row)
    return rows


class Featuriser:
    """Builds the vocabularies and the sparse design matrix from lexicon analyses."""

    def __init__(self, analyses: Sequence[screening.Analysis]) -> None:
        n = len(analyses)
        word_df: Counter[str] = Counter()
        char_df: Counter[str] = Counter()
        lex_df: Counter[str] = Counter()
        for a in analyses:
            word_df.update(set(screening.word_terms(a.model_text)))
            char_df.update(set(screening.char_terms(a.model_text, *CHAR_RANGE)))
            lex_df.update(set(a.features))
        self.word = self._idf(word_df, n)
        self.char = self._idf(char_df, n)
        self.lex = sorted(f for f in lex_df)

    @staticmethod
    def _idf(df: Counter[str], n: int) -> dict[str, float]:
        # Same smoothing as scikit-learn's TfidfVectorizer (smooth_idf=True).
        return {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in sorted(df.items()) if c >= MIN_DF}

    def restrict(self, word: Iterable[str], char: Iterable[str]) -> None:
        self.word = {t: self.word[t] for t in sorted(word)}
        self.char = {t: self.char[t] for t in sorted(char)}

    def matrix(self, analyses: Sequence[screening.Analysis]) -> Any:
        from scipy import sparse

        word_index = {t: i for i, t in enumerate(self.word)}
        char_index = {t: i + len(word_index) for i, t in enumerate(self.char)}
        offset = len(word_index) + len(char_index)
        lex_index = {t: i + offset for i, t in enumerate(self.lex)}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for r, a in enumerate(analyses):
            for terms, index, idf in (
                (screening.word_terms(a.model_text), word_index, self.word),
                (screening.char_terms(a.model_text, *CHAR_RANGE), char_index, self.char),
            ):
                counts = Counter(t for t in terms if t in index)
                weights = {t: (1.0 + math.log(c)) * idf[t] for t, c in counts.items()}
                norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
                for t, v in weights.items():
                    rows.append(r)
                    cols.append(index[t])
                    vals.append(v / norm)
            for f in a.features:
                if f in lex_index:
                    rows.append(r)
                    cols.append(lex_index[f])
                    vals.append(1.0)
        shape = (len(analyses), offset + len(lex_index))
        return sparse.csr_matrix((vals, (rows, cols)), shape=shape)


def fit(x: Any, y: Sequence[str], c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    # Balanced weights: urgent and concern are the minority and the costly misses.
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    model.fit(x, list(y))
    return model


def probabilities(model: Any, x: Any) -> list[dict[str, float]]:
    classes = [str(c) for c in model.classes_]
    return [dict(zip(classes, map(float, row), strict=True)) for row in model.predict_proba(x)]


def report(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Precision, recall and F1 per level, and the confusion matrix (rows = gold)."""
    confusion = {g: dict.fromkeys(LEVELS, 0) for g in LEVELS}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    per: dict[str, dict[str, float]] = {}
    for level in LEVELS:
        tp = confusion[level][level]
        predicted = sum(confusion[g][level] for g in LEVELS)
        actual = sum(confusion[level].values())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[level] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": actual,
        }
    macro = sum(per[level]["f1"] for level in LEVELS) / len(LEVELS)
    accuracy = sum(confusion[level][level] for level in LEVELS) / max(1, len(gold))
    return {
        "per_level": per,
        "macro_f1": round(macro, 4),
        "accuracy": round(accuracy, 4),
        "confusion": confusion,
        "n": len(gold),
    }


def choose_thresholds(
    analyses: Sequence[screening.Analysis],
    probs: Sequence[dict[str, float]],
    gold: Sequence[str],
) -> tuple[dict[str, float], bool, dict[str, Any]]:
    """Best macro-F1 + none-precision on the development set, given enough urgent recall."""
    grid = [round(0.02 * i, 2) for i in range(1, 50)]
    urgent_probs = [p["urgent"] for p, g in zip(probs, gold, strict=True) if g == "urgent"]
    best: tuple[tuple[float, ...], dict[str, float], bool, dict[str, Any]] | None = None
    for floor in (True, False):
        for t_urgent in grid:
            for t_concern in grid:
                thresholds = {"urgent": t_urgent, "concern": t_concern}
                pred = [
                    screening.decide(a, p, thresholds, floor)
                    for a, p in zip(analyses, probs, strict=True)
                ]
                r = report(gold, pred)
                recall = r["per_level"]["urgent"]["recall"]
                alone = sum(p >= t_urgent for p in urgent_probs) / max(1, len(urgent_probs))
                feasible = recall >= URGENT_RECALL_TARGET and alone >= MODEL_ALONE_URGENT_RECALL
                # Feasible settings first; then macro-F1 averaged with none-precision (a
                # text passed as "none" should really be harmless); then the higher
                # urgent threshold (fewer false alarms on idioms and replies).
                key = (
                    float(feasible),
                    recall if not feasible else 0.0,
                    round(r["macro_f1"] + r["per_level"]["none"]["precision"], 4),
                    t_urgent,
                )
                if best is None or key > best[0]:
                    best = (key, thresholds, floor, r)
    assert best is not None
    return best[1], best[2], best[3]


def _rounded(values: Iterable[float]) -> list[float]:
    return [float(f"{v:.5g}") for v in values]


def export(
    model: Any,
    feats: Featuriser,
    thresholds: dict[str, float],
    floor: bool,
    meta: dict[str, Any],
) -> dict[str, Any]:
    classes = [str(c) for c in model.classes_]
    order = [classes.index(level) for level in LEVELS]
    coef = model.coef_
    n_word, n_char = len(feats.word), len(feats.char)

    def weights(col: int) -> list[float]:
        return _rounded(coef[k, col] for k in order)

    word = {t: _rounded([idf]) + weights(i) for i, (t, idf) in enumerate(feats.word.items())}
    char = {
        t: _rounded([idf]) + weights(i + n_word) for i, (t, idf) in enumerate(feats.char.items())
    }
    lex = {t: weights(i + n_word + n_char) for i, t in enumerate(feats.lex)}
    return {
        "format": "kinwell-screening-linear/1",
        "classes": list(LEVELS),
        "intercept": _rounded(model.intercept_[k] for k in order),
        "char_range": list(CHAR_RANGE),
        "thresholds": thresholds,
        "lexicon_concern_floor": floor,
        "meta": meta,
        "lex": lex,
        "word": word,
        "char": char,
    }


def _prune(model: Any, feats: Featuriser) -> tuple[list[str], list[str]]:
    strength = abs(model.coef_).max(axis=0)
    n_word = len(feats.word)
    words = list(feats.word)
    chars = list(feats.char)
    word_rank = sorted(range(n_word), key=lambda i: -strength[i])[:KEEP_WORD]
    char_rank = sorted(range(len(chars)), key=lambda i: -strength[i + n_word])[:KEEP_CHAR]
    return [words[i] for i in word_rank], [chars[i] for i in char_rank]


def train(
    train_path: str | Path,
    out_path: str | Path,
    dev_path: str | Path | None = None,
    extra_paths: Sequence[str | Path] = (),
) -> dict[str, Any]:
    """Fit, prune, pick thresholds on ``dev_path`` and write the model; return metrics."""
    rows = load_jsonl(train_path)
    for extra in extra_paths:
        rows.extend(load_jsonl(extra))
    analyses = [screening.analyse(r["text"]) for r in rows]
    gold = [r["level"] for r in rows]
    dev_rows = load_jsonl(dev_path) if dev_path else []
    dev_analyses = [screening.analyse(r["text"]) for r in dev_rows]
    dev_gold = [r["level"] for r in dev_rows]

    def fitted(c: float) -> tuple[Any, Featuriser]:
        feats = Featuriser(analyses)
        model = fit(feats.matrix(analyses), gold, c)
        feats.restrict(*_prune(model, feats))
        return fit(feats.matrix(analyses), gold, c), feats

    thresholds: dict[str, float] = {"urgent": 0.5, "concern": 0.5}
    floor = True
    dev_report: dict[str, Any] | None = None
    chosen_c = C_GRID[len(C_GRID) // 2]
    if dev_rows:
        best_key: tuple[float, ...] | None = None
        for c in C_GRID:
            model, feats = fitted(c)
            probs = probabilities(model, feats.matrix(dev_analyses))
            t, f, r = choose_thresholds(dev_analyses, probs, dev_gold)
            key = (
                float(r["per_level"]["urgent"]["recall"] >= URGENT_RECALL_TARGET),
                r["macro_f1"] + r["per_level"]["none"]["precision"],
            )
            print(f"C={c}: dev macro-F1 {r['macro_f1']} thresholds {t} floor {f}")
            if best_key is None or key > best_key:
                best_key, chosen_c, thresholds, floor, dev_report = key, c, t, f, r
    model, feats = fitted(chosen_c)
    train_pred = [
        screening.decide(a, p, thresholds, floor)
        for a, p in zip(analyses, probabilities(model, feats.matrix(analyses)), strict=True)
    ]
    metrics = {
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "train_rows": len(rows),
        "dev_rows": len(dev_rows),
        "C": chosen_c,
        "thresholds": thresholds,
        "lexicon_concern_floor": floor,
        "features": {"word": len(feats.word), "char": len(feats.char), "lex": len(feats.lex)},
        "lexicon_version": screening.lexicon().version,
        "train": report(gold, train_pred),
        "dev": dev_report,
    }
    meta = {k: v for k, v in metrics.items() if k not in ("train",)}
    data = export(model, feats, thresholds, floor, meta)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    if out.suffix == ".gz":
        import gzip

        with gzip.open(out, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
    metrics["bytes"] = out.stat().st_size
    return metrics


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="training JSONL")
    parser.add_argument("--dev", help="development JSONL (thresholds are chosen on it)")
    parser.add_argument("--extra", action="append", default=[], help="more training JSONL")
    parser.add_argument("--out", default=str(screening.MODEL_FILE), help=".json or .json.gz")
    args = parser.parse_args(argv)
    metrics = train(args.data, args.out, args.dev, args.extra)
    json.dump(metrics, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

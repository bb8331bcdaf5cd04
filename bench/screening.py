"""Crisis-screening benchmark: latency on one core, import time, and quality.

    .venv/bin/python bench/screening.py [--calls 5000] [--no-eval]

Prints the median / p90 / p99 latency of ``screen_text`` per message after warm-up (the
evaluation texts repeated to at least ``--calls`` calls), the module's import time (in a
fresh interpreter), then precision / recall / F1 per level and the confusion matrix on the
evaluation set (``kinwell/safety/evaluation/eval.jsonl``) and on the development set, with
ratios against the targets: median <= 1 ms, urgent recall >= 0.95; and, on the short chat
check set (``kinwell/safety/evaluation/short_chat.jsonl``), the false-alarm rate on ordinary
short messages and the recall on short risky ones.

Only aggregate numbers and ids are printed, never evaluation texts: that set is for
evaluation only (see its README).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kinwell.safety import screening  # noqa: E402
from kinwell.safety.train_screening import LEVELS, load_jsonl, report  # noqa: E402

EVAL = ROOT / "kinwell/safety/evaluation/eval.jsonl"
DEV = ROOT / "kinwell/safety/training/dev.jsonl"
SHORT = ROOT / "kinwell/safety/evaluation/short_chat.jsonl"
TARGET_MEDIAN_MS = 1.0
TARGET_URGENT_RECALL = 0.95


def pin_one_core() -> str:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return "pinned to one core"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def import_ms() -> float:
    code = (
        "import time; t = time.perf_counter(); import kinwell.safety.screening; "
        "print((time.perf_counter() - t) * 1000)"
    )
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        )
        runs.append(float(out.stdout.strip()))
    return min(runs)


def latency(texts: list[str], calls: int) -> dict[str, float]:
    t = time.perf_counter()
    screening.warm_up()
    first_ms = (time.perf_counter() - t) * 1000
    for text in texts[:200]:
        screening.screen_text(text)
    times: list[float] = []
    while len(times) < calls:
        for text in texts:
            t = time.perf_counter()
            screening.screen_text(text)
            times.append(time.perf_counter() - t)
    times.sort()
    return {
        "calls": len(times),
        "first_call_ms": first_ms,
        "median_ms": statistics.median(times) * 1000,
        "p90_ms": times[int(len(times) * 0.90)] * 1000,
        "p99_ms": times[int(len(times) * 0.99)] * 1000,
        "max_ms": times[-1] * 1000,
    }


def quality(name: str, path: Path) -> dict[str, object] | None:
    if not path.exists():
        print(f"\n{name}: {path} missing")
        return None
    rows = load_jsonl(path)
    pred = [screening.screen_text(r["text"]).level for r in rows]
    gold = [r["level"] for r in rows]
    r = report(gold, pred)
    print(f"\n== {name} ({path.relative_to(ROOT)}, n={r['n']}) ==")
    print(f"{'level':<9}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
    for level in LEVELS:
        m = r["per_level"][level]
        print(
            f"{level:<9}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>9}"
        )
    print(f"macro-F1 {r['macro_f1']:.3f}  accuracy {r['accuracy']:.3f}")
    print("confusion (rows = gold, columns = predicted):")
    print(f"{'':<9}" + "".join(f"{p:>9}" for p in LEVELS))
    for g in LEVELS:
        print(f"{g:<9}" + "".join(f"{r['confusion'][g][p]:>9}" for p in LEVELS))
    by_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row, p in zip(rows, pred, strict=True):
        key = row.get("category", "?")
        if key.startswith(("hard_", "mixed_")):
            key = f"{key}/{row['level']}"
        by_cat[key][0] += p == row["level"]
        by_cat[key][1] += 1
    print("accuracy per category:")
    for key in sorted(by_cat):
        ok, n = by_cat[key]
        print(f"  {key:<28}{ok:>4}/{n:<4}{ok / n:>7.3f}")
    lang = [(row, p) for row, p in zip(rows, pred, strict=True) if row.get("lang")]
    if lang:
        ok = sum(p == row["level"] for row, p in lang)
        print(f"non-English subset: {ok}/{len(lang)} = {ok / len(lang):.3f}")
    missed = [
        row["id"]
        for row, p in zip(rows, pred, strict=True)
        if row["level"] == "urgent" and p == "none"
    ]
    print(f"urgent scored none: {len(missed)} {' '.join(missed)}")
    hard_neg = [
        p
        for row, p in zip(rows, pred, strict=True)
        if row["level"] == "none" and str(row.get("category", "")).startswith("none_")
    ]
    if hard_neg:
        alarms = sum(p == "urgent" for p in hard_neg)
        print(f"false urgent on none_* items: {alarms}/{len(hard_neg)}")
    recall = r["per_level"]["urgent"]["recall"]
    verdict = "met" if recall >= TARGET_URGENT_RECALL else "NOT met"
    print(
        f"urgent recall {recall:.3f} / target {TARGET_URGENT_RECALL} = "
        f"{recall / TARGET_URGENT_RECALL:.3f} ({verdict})"
    )
    return r


def short_chat(path: Path) -> dict[str, float] | None:
    """False alarms on ordinary short chat (an urgent one holds the message) and recall."""
    if not path.exists():
        print(f"\nshort chat: {path} missing")
        return None
    rows = load_jsonl(path)
    pred = [screening.screen_text(r["text"]).level for r in rows]
    pairs = list(zip((r["level"] for r in rows), pred, strict=True))
    benign = [p for g, p in pairs if g == "none"]
    risky = [(g, p) for g, p in pairs if g != "none"]
    urgent = [p for g, p in risky if g == "urgent"]
    concern = [p for g, p in risky if g == "concern"]
    out = {
        "false_alarm": sum(p != "none" for p in benign) / max(1, len(benign)),
        "false_urgent": sum(p == "urgent" for p in benign) / max(1, len(benign)),
        "risky_flagged": sum(p != "none" for _, p in risky) / max(1, len(risky)),
        "urgent_recall": sum(p == "urgent" for p in urgent) / max(1, len(urgent)),
        "concern_recall": sum(p == "concern" for p in concern) / max(1, len(concern)),
    }
    print(f"\n== short chat check set ({path.relative_to(ROOT)}, n={len(rows)}) ==")
    print(
        f"ordinary (n={len(benign)}): false alarm {out['false_alarm']:.3f}, "
        f"false urgent {out['false_urgent']:.3f}"
    )
    print(
        f"risky (n={len(risky)}): flagged {out['risky_flagged']:.3f}; "
        f"urgent recall {out['urgent_recall']:.3f} (n={len(urgent)}), "
        f"concern recall {out['concern_recall']:.3f} (n={len(concern)})"
    )
    missed = [
        r["id"] for r, p in zip(rows, pred, strict=True) if r["level"] == "urgent" and p == "none"
    ]
    print(f"urgent scored none: {len(missed)} {' '.join(missed)}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--no-eval", action="store_true", help="skip the evaluation set")
    args = parser.parse_args()
    pinned = pin_one_core()
    source = EVAL if EVAL.exists() else DEV
    texts = [r["text"] for r in load_jsonl(source)]
    print(f"crisis screening benchmark ({pinned}; texts from {source.name})")
    imp = import_ms()
    lat = latency(texts, args.calls)
    m = screening.model()
    size = screening.MODEL_FILE.stat().st_size if screening.MODEL_FILE.exists() else 0
    print(f"import time            {imp:8.1f} ms (fresh interpreter, best of 3)")
    print(f"first call (loads data){lat['first_call_ms']:8.1f} ms")
    print(f"calls                  {lat['calls']:8d}")
    print(f"median                 {lat['median_ms']:8.3f} ms")
    print(f"p90                    {lat['p90_ms']:8.3f} ms")
    print(f"p99                    {lat['p99_ms']:8.3f} ms")
    print(f"max                    {lat['max_ms']:8.3f} ms")
    print(
        f"median / target {TARGET_MEDIAN_MS} ms = {lat['median_ms'] / TARGET_MEDIAN_MS:.3f} "
        f"({'met' if lat['median_ms'] <= TARGET_MEDIAN_MS else 'NOT met'})"
    )
    if m is not None:
        print(
            f"model: {size / 1024:.0f} KiB, {len(m.word)} word + {len(m.char)} char + "
            f"{len(m.lex)} lexicon features, thresholds {m.thresholds}, "
            f"concern floor {m.lexicon_concern_floor}"
        )
    if not args.no_eval:
        quality("evaluation set", EVAL)
    quality("development set (thresholds were tuned here)", DEV)
    short_chat(SHORT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Scoring exactly to the published rules, driven by the instrument files.

Pure functions: no database, no Django. The CLI, the web flow and the tests all call
`score`, so one set of rules produces every number a member or clinician sees.
"""

import math
from dataclasses import dataclass, field
from typing import Any

from kinwell.assessments.instruments import Instrument

Answers = dict[str, int | None]
_OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
}
_SAFETY_RANK = {None: 0, "concern": 1, "urgent": 2}


class ScoringError(ValueError):
    """The answers cannot be scored; the message names the problem in one line."""


@dataclass(frozen=True)
class Score:
    instrument: str
    total: float | int | None
    subscales: dict[str, float | int]
    band: str | None
    flags: tuple[str, ...]
    safety: str | None = None
    messages: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "total": self.total,
            "subscales": self.subscales,
            "band": self.band,
            "flags": list(self.flags),
        }


def parse_values(instrument: Instrument, raw: str) -> Answers:
    """Read "v1,v2,..." in published item order; empty means not asked / declined."""
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != len(instrument.items):
        raise ScoringError(
            f"{instrument.id} needs {len(instrument.items)} values, got {len(parts)}"
        )
    answers: Answers = {}
    for item, part in zip(instrument.items, parts, strict=True):
        if part == "":
            answers[item.link_id] = None
            continue
        try:
            value = int(part)
        except ValueError:
            raise ScoringError(f"item {item.link_id}: {part!r} is not a whole number") from None
        answers[item.link_id] = value
    return answers


def _asq_rule(instrument: Instrument) -> dict[str, Any] | None:
    return next((r for r in instrument.meta.get("rules", []) if r["type"] == "asq"), None)


def _check(instrument: Instrument, answers: Answers) -> None:
    asq = _asq_rule(instrument)
    declinable = set(asq["screen_items"]) if asq else set()
    for item in instrument.items:
        value = answers.get(item.link_id)
        if value is None:
            if item.required and item.link_id not in declinable:
                raise ScoringError(f"item {item.link_id} is required and has no answer")
            continue
        if value not in item.values:
            allowed = ", ".join(str(v) for v in sorted(item.values))
            raise ScoringError(f"item {item.link_id}: {value} is out of range (allowed: {allowed})")
    unknown = set(answers) - {i.link_id for i in instrument.items}
    if unknown:
        raise ScoringError(f"unknown items: {', '.join(sorted(unknown))}")


def _scored(instrument: Instrument, answers: Answers) -> dict[str, int]:
    scoring = instrument.scoring
    reverse = set(scoring.get("reverse_keyed", []))
    low, high = scoring.get("scale_min", 0), scoring.get("scale_max", 0)
    return {k: (low + high - v if k in reverse else v) for k, v in answers.items() if v is not None}


def _round_half_up(value: float, decimals: int) -> float:
    # Published norms round halves up; Python's round() rounds them to even.
    factor = 10**decimals
    return math.floor(value * factor + 0.5 + 1e-9) / factor


def _aggregate(method: str, values: list[int], decimals: int) -> float | int | None:
    if method == "none" or not values:
        return None
    if method == "sum":
        return sum(values)
    return _round_half_up(sum(values) / len(values), decimals)


def _band(instrument: Instrument, total: float | int | None) -> dict[str, Any] | None:
    if total is None:
        return None
    for band in instrument.meta["bands"]:
        if band["min"] <= total <= band["max"]:
            return dict(band)
    return None


def score(instrument: Instrument, answers: Answers) -> Score:
    """Score one complete set of answers (raw option values keyed by linkId)."""
    _check(instrument, answers)
    scoring = instrument.scoring
    decimals = int(scoring.get("decimals", 0))
    values = _scored(instrument, answers)
    total_spec = scoring["total"]
    total = _aggregate(
        total_spec["method"],
        [values[i] for i in total_spec.get("items", []) if i in values],
        decimals,
    )
    subscales = {
        sub["id"]: _aggregate(
            sub["method"], [values[i] for i in sub["items"] if i in values], decimals
        )
        for sub in scoring.get("subscales", [])
    }
    band = _band(instrument, total)
    flags: list[str] = []
    messages: list[str] = []
    safety: str | None = None
    details: dict[str, Any] = {}

    def raise_safety(level: str | None) -> None:
        nonlocal safety
        if _SAFETY_RANK[level] > _SAFETY_RANK[safety]:
            safety = level

    for flag in instrument.meta["flags"]:
        when = flag["when"]
        subject = total if when.get("total") else answers.get(when.get("item", ""))
        if subject is not None and _OPS[when["op"]](subject, when["value"]):
            flags.append(flag["id"])
            if flag.get("message"):
                messages.append(flag["message"])
            raise_safety(flag.get("safety"))

    band_id = band["id"] if band else None
    for rule in instrument.meta.get("rules", []):
        if rule["type"] == "pcl5_dsm5":
            met, counts = _pcl5_dsm5(rule, answers)
            details["dsm5_cluster_counts"] = counts
            details["dsm5_rule_met"] = met
            if met:
                flags.append("dsm5_rule_met")
        elif rule["type"] == "asq":
            band_id, asq_flags, level = _asq(rule, answers)
            flags.extend(asq_flags)
            raise_safety(level)
    return Score(
        instrument=instrument.id,
        total=total,
        subscales={k: v for k, v in subscales.items() if v is not None},
        band=band_id,
        flags=tuple(flags),
        safety=safety,
        messages=tuple(messages),
        details=details,
    )


def _pcl5_dsm5(rule: dict[str, Any], answers: Answers) -> tuple[bool, dict[str, int]]:
    """DSM-5 provisional rule: an item rated `threshold` (2, "moderately") or more counts as
    endorsed; at least 1 B, 1 C, 2 D and 2 E items. Reported apart from the cut-off,
    because the two can disagree."""
    counts = {
        cluster: sum(1 for i in members if (answers.get(i) or 0) >= rule["threshold"])
        for cluster, members in rule["clusters"].items()
    }
    return all(counts[c] >= rule["need"][c] for c in counts), counts


def _asq(rule: dict[str, Any], answers: Answers) -> tuple[str, list[str], str | None]:
    """NIMH ASQ: a yes to any of questions 1-4, or declining one, is a positive screen; the
    acuity question then separates acute positive (imminent risk) from non-acute positive."""
    screen = [answers.get(i) for i in rule["screen_items"]]
    acuity = answers.get(rule["acuity_item"])
    positive = any(v is None or v == 1 for v in screen)
    if not positive:
        if acuity is not None:
            raise ScoringError(f"item {rule['acuity_item']} is asked only after a yes to items 1-4")
        return "negative", [], None
    flags = ["asq_positive"]
    if any(v is None for v in screen):
        flags.append("asq_declined_item")
    if acuity == 1:
        return "acute_positive", [*flags, "asq_acute"], "urgent"
    if acuity is None:
        # Acuity not asked after a positive screen: treat as acute until someone asks.
        return "positive_acuity_unknown", [*flags, "asq_acuity_not_asked"], "urgent"
    return "non_acute_positive", flags, "concern"


def reliable_change(
    instrument: Instrument, before: float | int | None, after: float | int | None
) -> str | None:
    """Jacobson-Truax reliable change index (or a published point threshold) on the total:
    "improved", "no reliable change" or "worsened"; None when the instrument has no basis."""
    spec = instrument.meta.get("reliable_change")
    if not spec or before is None or after is None:
        return None
    diff = float(after) - float(before)
    if spec.get("fixed_points"):
        threshold = float(spec["fixed_points"])
        reliable = abs(diff) >= threshold
    elif spec.get("sd") and spec.get("reliability") is not None:
        se_diff = float(spec["sd"]) * math.sqrt(2) * math.sqrt(1 - float(spec["reliability"]))
        reliable = se_diff > 0 and abs(diff / se_diff) > 1.96
    else:
        return None
    if not reliable:
        return "no reliable change"
    lower_is_better = instrument.meta.get("direction", "lower_is_better") == "lower_is_better"
    better = diff < 0 if lower_is_better else diff > 0
    return "improved" if better else "worsened"

"""Instruments are data: FHIR R4 Questionnaire files plus a "kinwell" scoring block.

Files are read and checked once, at start. A malformed file raises ImproperlyConfigured
naming the file and the problem, so a broken instrument never scores anyone.
"""

import itertools
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

FOLDER = Path(__file__).parent / "instruments"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
METHODS = {"sum", "mean", "none"}
OPS = {">", ">=", "<", "<=", "=="}
RULES = {"pcl5_dsm5", "asq"}
TARGETS = {"self", "person"}


@dataclass(frozen=True)
class Option:
    value: int
    code: str
    system: str
    display: str


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    required: bool
    options: tuple[Option, ...]
    codes: tuple[dict[str, str], ...]

    @property
    def values(self) -> set[int]:
        return {o.value for o in self.options}


@dataclass(frozen=True)
class Instrument:
    id: str
    title: str
    short_name: str
    items: tuple[Item, ...]
    resource: dict[str, Any]
    meta: dict[str, Any]

    @property
    def per_person(self) -> bool:
        """Asked about one person on the member's map (ECR-RS), not about the member alone."""
        return self.meta.get("target", "self") == "person"

    @property
    def scoring(self) -> dict[str, Any]:
        return dict(self.meta["scoring"])

    def item(self, link_id: str) -> Item:
        return next(i for i in self.items if i.link_id == link_id)


class InstrumentError(ValueError):
    pass


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise InstrumentError(message)


def _option(raw: dict[str, Any], where: str) -> Option:
    coding = raw.get("valueCoding") or {}
    ordinal = [e for e in raw.get("extension", []) if e.get("url") == ORDINAL]
    _need(
        bool(coding.get("code")) and bool(coding.get("display")),
        f"{where}: valueCoding needs code and display",
    )
    _need(len(ordinal) == 1, f"{where}: needs one ordinalValue extension")
    value = ordinal[0].get("valueDecimal")
    _need(
        isinstance(value, int | float) and float(value).is_integer(),
        f"{where}: ordinalValue must be a whole number",
    )
    return Option(
        value=int(value),
        code=str(coding["code"]),
        system=str(coding.get("system", "")),
        display=str(coding["display"]),
    )


def parse(data: dict[str, Any], expected_id: str) -> Instrument:
    _need(data.get("resourceType") == "Questionnaire", "resourceType must be Questionnaire")
    _need(data.get("id") == expected_id, f"id must be {expected_id!r} (the file name)")
    for key in ("title", "status", "item", "kinwell"):
        _need(key in data, f"missing {key!r}")
    items = []
    for n, raw in enumerate(data["item"], start=1):
        where = f"item {n}"
        _need(raw.get("linkId") == str(n), f"{where}: linkId must be {str(n)!r} (published order)")
        _need(raw.get("type") == "choice", f"{where}: type must be choice")
        _need(bool(raw.get("text")), f"{where}: text is missing")
        options = tuple(
            _option(o, f"{where} option {k}") for k, o in enumerate(raw.get("answerOption", []), 1)
        )
        _need(len(options) >= 2, f"{where}: needs at least two answer options")
        _need(len({o.value for o in options}) == len(options), f"{where}: option values repeat")
        items.append(
            Item(
                link_id=str(n),
                text=str(raw["text"]),
                required=bool(raw.get("required", True)),
                options=options,
                codes=tuple(raw.get("code", [])),
            )
        )
    meta = data["kinwell"]
    for key in ("short_name", "citation", "licence", "scoring", "bands", "flags", "result_text"):
        _need(key in meta, f"kinwell.{key} is missing")
    _need(meta.get("target", "self") in TARGETS, "kinwell.target must be self or person")
    ids = {i.link_id for i in items}
    scoring = meta["scoring"]

    def known(link_ids: list[str], where: str) -> None:
        unknown = [x for x in link_ids if x not in ids]
        _need(not unknown, f"{where}: unknown items {unknown}")

    known(scoring.get("reverse_keyed", []), "scoring.reverse_keyed")
    if scoring.get("reverse_keyed"):
        _need(
            "scale_min" in scoring and "scale_max" in scoring,
            "reverse keys need scale_min and scale_max",
        )
    total = scoring.get("total", {})
    _need(total.get("method") in METHODS, "scoring.total.method must be sum, mean or none")
    known(total.get("items", []), "scoring.total.items")
    for sub in scoring.get("subscales", []):
        _need(
            sub.get("method") in METHODS - {"none"},
            f"subscale {sub.get('id')}: method must be sum or mean",
        )
        _need(
            bool(sub.get("id")) and bool(sub.get("items")), "every subscale needs an id and items"
        )
        known(sub["items"], f"subscale {sub['id']}")
    bands = sorted(meta["bands"], key=lambda b: b["min"])
    for band in bands:
        for key in ("min", "max", "id", "label", "explanation"):
            _need(key in band, f"band {band.get('id', '?')}: missing {key}")
        _need(band["min"] <= band["max"], f"band {band['id']}: min is above max")
    for a, b in itertools.pairwise(bands):
        _need(b["min"] > a["max"], f"bands {a['id']} and {b['id']} overlap")
    for flag in meta["flags"]:
        when = flag.get("when", {})
        _need(
            bool(flag.get("id")) and when.get("op") in OPS,
            f"flag {flag.get('id')}: needs id and op",
        )
        if "item" in when:
            known([when["item"]], f"flag {flag['id']}")
        else:
            _need(when.get("total") is True, f"flag {flag['id']}: needs an item or total")
        _need(
            flag.get("safety") in (None, "concern", "urgent"),
            f"flag {flag['id']}: bad safety level",
        )
    for rule in meta.get("rules", []):
        _need(rule.get("type") in RULES, f"unknown rule type {rule.get('type')!r}")
        if rule["type"] == "pcl5_dsm5":
            for cluster, members in rule["clusters"].items():
                known(members, f"rule pcl5_dsm5 cluster {cluster}")
                _need(cluster in rule["need"], f"rule pcl5_dsm5: no need for cluster {cluster}")
        if rule["type"] == "asq":
            known([*rule["screen_items"], rule["acuity_item"]], "rule asq")
    return Instrument(
        id=expected_id,
        title=str(data["title"]),
        short_name=str(meta["short_name"]),
        items=tuple(items),
        resource=data,
        meta=meta,
    )


def load_file(path: Path) -> Instrument:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return parse(data, path.stem)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImproperlyConfigured(f"{path.name}: invalid instrument file: {exc}") from exc


@cache
def instruments() -> dict[str, Instrument]:
    found = {p.stem: load_file(p) for p in sorted(FOLDER.glob("*.json"))}
    return found


def get(instrument_id: str) -> Instrument | None:
    return instruments().get(instrument_id)

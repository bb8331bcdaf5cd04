"""Crisis lines per country, from data/crisis_lines.json (each entry names its source)."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

DATA_FILE = Path(__file__).parent / "data" / "crisis_lines.json"
LINE_FIELDS = ("name", "phone", "text", "chat_url", "hours", "languages", "description", "source")


@dataclass(frozen=True)
class Line:
    name: str
    phone: str | None
    text: str | None
    chat_url: str | None
    hours: str
    languages: tuple[str, ...]
    description: str
    source: str

    @property
    def tel(self) -> str:
        return "".join(ch for ch in (self.phone or "") if ch.isdigit() or ch in "+*#")


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    emergency: str | None
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class CrisisLines:
    reviewed: str
    countries: dict[str, Country]
    international: Country

    def for_country(self, code: str | None) -> Country | None:
        return self.countries.get((code or "").upper())

    def choices(self) -> list[tuple[str, str]]:
        return [(c.code, c.name) for c in self.countries.values()]


def _line(raw: dict[str, Any], where: str, *, directory_ok: bool) -> Line:
    missing = [f for f in LINE_FIELDS if f not in raw]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    if not str(raw["source"]).startswith("https://"):
        raise ValueError(f"{where}: source must be an https address")
    # Only the international fallback may be a directory reached through its web page.
    if not (raw["phone"] or raw["text"] or raw["chat_url"] or directory_ok):
        raise ValueError(f"{where}: needs a phone, text or chat contact")
    return Line(
        name=raw["name"],
        phone=raw["phone"],
        text=raw["text"],
        chat_url=raw["chat_url"],
        hours=raw["hours"],
        languages=tuple(raw["languages"]),
        description=raw["description"],
        source=raw["source"],
    )


def _country(raw: dict[str, Any], where: str, *, directory_ok: bool = False) -> Country:
    lines = raw.get("lines") or []
    if not lines:
        raise ValueError(f"{where}: no lines")
    return Country(
        code=str(raw.get("code", "")).upper(),
        name=raw["name"],
        emergency=raw.get("emergency"),
        lines=tuple(
            _line(line, f"{where} line {i + 1}", directory_ok=directory_ok)
            for i, line in enumerate(lines)
        ),
    )


def load(path: Path) -> CrisisLines:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        countries: dict[str, Country] = {}
        for i, raw in enumerate(data["countries"]):
            country = _country(raw, f"country {i + 1} ({raw.get('code', '?')})")
            if len(country.code) != 2 or not country.code.isalpha():
                raise ValueError(f"country {i + 1}: code must be two letters")
            if country.code in countries:
                raise ValueError(f"country {country.code} appears twice")
            countries[country.code] = country
        international = _country(
            {**data["international"], "code": "ZZ"}, "international", directory_ok=True
        )
        return CrisisLines(
            reviewed=data["reviewed"], countries=countries, international=international
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImproperlyConfigured(f"{path}: invalid crisis lines file: {exc}") from exc


@cache
def crisis_lines() -> CrisisLines:
    return load(DATA_FILE)

"""Focus areas a member can ask to join a circle for, from data/focus_areas.json.

The list is data so a deployment can change it without code. The file is checked when
read; anything wrong raises ImproperlyConfigured naming the file and the problem, so a
broken list stops start-up instead of showing members half a menu.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DATA_FILE = Path(__file__).parent / "data" / "focus_areas.json"
VERSION = 1
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIELDS = ("slug", "name", "description")


@dataclass(frozen=True)
class FocusArea:
    slug: str
    name: str
    description: str


def _check(data: object) -> tuple[FocusArea, ...]:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    if data.get("version") != VERSION:
        raise ValueError(f'"version" must be {VERSION}')
    extra = set(data) - {"version", "focus_areas"}
    if extra:
        raise ValueError(f"unknown key {sorted(extra)[0]!r}")
    raw = data.get("focus_areas")
    if not isinstance(raw, list) or not raw:
        raise ValueError('"focus_areas" must be a non-empty list')
    areas: list[FocusArea] = []
    seen: set[str] = set()
    for number, entry in enumerate(raw, start=1):
        where = f"focus area {number}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected an object")
        missing = [f for f in FIELDS if f not in entry]
        if missing:
            raise ValueError(f"{where}: missing {missing[0]!r}")
        extra = set(entry) - set(FIELDS)
        if extra:
            # A misspelt key would otherwise be silently ignored.
            raise ValueError(f"{where}: unknown key {sorted(extra)[0]!r}")
        for name in FIELDS:
            if not isinstance(entry[name], str) or not entry[name].strip():
                raise ValueError(f"{where}: {name!r} must be a non-empty string")
        slug = entry["slug"]
        if not SLUG.match(slug):
            raise ValueError(f"{where}: slug {slug!r} must be lower-case words joined by '-'")
        if slug in seen:
            raise ValueError(f"{where}: slug {slug!r} appears twice")
        seen.add(slug)
        areas.append(FocusArea(slug=slug, name=entry["name"], description=entry["description"]))
    return tuple(areas)


def load_focus_areas(path: Path = DATA_FILE) -> tuple[FocusArea, ...]:
    """Read and check a focus-area file; raises ImproperlyConfigured naming it."""
    try:
        return _check(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ImproperlyConfigured(f"{path}: cannot read focus areas: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(
            f"{path}: focus areas are not valid JSON (line {exc.lineno}: {exc.msg})"
        ) from exc
    except ValueError as exc:
        raise ImproperlyConfigured(f"{path}: invalid focus areas: {exc}") from exc


@cache
def focus_areas() -> tuple[FocusArea, ...]:
    return load_focus_areas()


def focus_choices() -> list[tuple[str, str]]:
    return [(area.slug, area.name) for area in focus_areas()]

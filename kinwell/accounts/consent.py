"""Consent texts are data (data/consent.json); a record stores the version a member saw."""

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

CONSENT_FILE = Path(__file__).parent / "data" / "consent.json"
REQUIRED = ("terms", "privacy")


@cache
def consent_texts() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(CONSENT_FILE.read_text(encoding="utf-8"))
        purposes = data["purposes"]
        for key in ("terms", "privacy", "research"):
            entry = purposes[key]
            for field in ("version", "title", "summary", "paragraphs"):
                if not entry.get(field):
                    raise KeyError(f"{key}.{field}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImproperlyConfigured(f"{CONSENT_FILE}: invalid consent file ({exc})") from exc
    return dict(purposes)


def current_version(purpose: str) -> str:
    return str(consent_texts()[purpose]["version"])

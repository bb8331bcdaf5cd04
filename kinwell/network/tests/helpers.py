"""Small builders for map tests; everything goes through the services, as in the app."""

from datetime import UTC, date, datetime

from kinwell.network.services import person_create

VALID = {
    "alias": "Sam",
    "kind": "friend",
    "circle": "2",
    "support_received": ["emotional"],
    "support_given": ["companionship"],
    "safety": "3",
    "last_contact": "",
    "rhythm_days": "0",
}


def add_person(user, alias="Sam", **values):
    fields = {
        "kind": "friend",
        "circle": 2,
        "support_received": ["emotional"],
        "support_given": [],
        "safety": 3,
        "last_contact": None,
        "rhythm_days": 0,
    }
    fields.update(values)
    return person_create(user=user, alias=alias, **fields)


def freeze(monkeypatch, moment: datetime) -> None:
    """Pin "now" for every caller of django.utils.timezone.now."""
    assert moment.tzinfo is not None
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def d(text: str) -> date:
    return date.fromisoformat(text)

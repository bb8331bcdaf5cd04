"""Weekly meeting slots.

Members choose days and times in their own time zone; the matching engine compares slot
strings for equality, so slots are stored in UTC ("mon 19:00"), and shown back to each
member in their own zone. Two members in different zones who can both make the same
hour therefore share a slot.
"""

import zoneinfo
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

DAYS = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
]
DAY_KEYS = [key for key, _ in DAYS]
TIMES = [
    ("08:00", "Morning, 8:00"),
    ("12:00", "Midday, 12:00"),
    ("17:00", "Early evening, 17:00"),
    ("18:00", "18:00"),
    ("19:00", "19:00"),
    ("20:00", "20:00"),
    ("21:00", "Late evening, 21:00"),
]
TIME_KEYS = [key for key, _ in TIMES]


def zone_of(user: Any) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def utc_offset_hours(user: Any, at: datetime | None = None) -> float:
    offset = (at or timezone.now()).astimezone(zone_of(user)).utcoffset()
    return round((offset or timedelta()).total_seconds() / 3600, 2)


def _next_local(day_key: str, hhmm: str, zone: zoneinfo.ZoneInfo, today: date) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    ahead = (DAY_KEYS.index(day_key) - today.weekday()) % 7
    day = today + timedelta(days=ahead)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def to_utc_slots(days: list[str], times: list[str], user: Any) -> list[str]:
    """Every chosen day x time, as UTC slot strings, sorted and without duplicates."""
    zone = zone_of(user)
    today = timezone.now().astimezone(zone).date()
    slots = set()
    for day_key in days:
        for hhmm in times:
            when = _next_local(day_key, hhmm, zone, today).astimezone(zoneinfo.ZoneInfo("UTC"))
            slots.add(f"{DAY_KEYS[when.weekday()]} {when:%H:%M}")
    return sorted(slots, key=lambda s: (DAY_KEYS.index(s[:3]), s[4:]))


def next_meeting(slot: str, after: datetime | None = None) -> datetime:
    """The next start of a UTC slot after `after` (now by default), as an aware UTC time."""
    utc = zoneinfo.ZoneInfo("UTC")
    now = (after or timezone.now()).astimezone(utc)
    start = _next_local(slot[:3], slot[4:], utc, now.date())
    if start <= now:
        start += timedelta(days=7)
    return start


def local_label(slot: str, user: Any) -> str:
    """ "Mondays at 19:00 your time", for a UTC slot."""
    if len(slot) != 9 or slot[:3] not in DAY_KEYS:
        return slot
    when = next_meeting(slot).astimezone(zone_of(user))
    return f"{when:%A}s at {when:%H:%M} your time"

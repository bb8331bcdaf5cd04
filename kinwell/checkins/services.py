from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from kinwell.checkins.models import CheckIn
from kinwell.safety.services import SafetyOutcome, text_screen

FIELDS = ("seen", "safe", "soothed", "secure", "stable", "window", "mood", "note")


def member_today(user: Any) -> date:
    return timezone.localdate(timezone.now(), timezone=_tz(user))


def _tz(user: Any) -> Any:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@transaction.atomic
def checkin_save(
    *,
    user: Any,
    connections: Iterable[Any] | None = None,
    share_with: Iterable[int] | None = None,
    share_note: bool = False,
    **values: Any,
) -> tuple[CheckIn, SafetyOutcome]:
    """Create or update today's check-in (the member's own day, in their time zone).

    A changed note is screened in the same transaction; the note is stored whatever the
    result, and stays private. `connections` (people from the member's own map) are
    logged as contacts for the day and linked to the check-in; None leaves them as they
    are. `share_with` (circle ids) sets which circles see this check-in; None leaves it.
    """
    day = member_today(user)
    checkin = CheckIn.objects.select_for_update().filter(user=user, day=day).first()
    old_note = checkin.note if checkin else ""
    if checkin is None:
        checkin = CheckIn(user=user, day=day)
    for name in FIELDS:
        if name in values:
            setattr(checkin, name, values[name])
    checkin.note = (checkin.note or "").strip()
    checkin.full_clean()
    checkin.save()
    if connections is not None:
        # Imported here: the map's services import this module for member_today.
        from kinwell.network.services import checkin_connections_set

        checkin_connections_set(user=user, checkin=checkin, people=connections)
    if share_with is not None:
        from kinwell.circles.services import checkin_shares_set

        checkin_shares_set(
            user=user, checkin=checkin, circle_ids=list(share_with), include_note=share_note
        )
    outcome = SafetyOutcome(level="none")
    if checkin.note and checkin.note != old_note:
        outcome = text_screen(
            author=user, text=checkin.note, source_type="checkin_note", source_id=checkin.pk
        )
    return checkin, outcome

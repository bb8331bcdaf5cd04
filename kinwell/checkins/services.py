from collections.abc import Iterable
from datetime import date
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
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
    share_clinician: bool | None = None,
    connected_circles: Iterable[int] | None = None,
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
    if connected_circles is not None:
        from kinwell.circles.services import checkin_circles_set

        checkin_circles_set(user=user, checkin=checkin, circle_ids=list(connected_circles))
    if share_clinician is not None:
        from kinwell.care.services import checkin_clinician_share_set

        checkin_clinician_share_set(
            user=user, checkin=checkin, share=share_clinician, include_note=share_note
        )
    outcome = SafetyOutcome(level="none")
    if checkin.note and checkin.note != old_note:
        outcome = text_screen(
            author=user, text=checkin.note, source_type="checkin_note", source_id=checkin.pk
        )
    return checkin, outcome


@transaction.atomic
def reminder_save(*, user: Any, enabled: bool, at: Any, channel: str) -> Any:
    from kinwell.checkins.models import Reminder

    if channel not in Reminder.Channel.values:
        raise ValidationError({"channel": "Choose how you would like to be reminded."})
    if channel == Reminder.Channel.EMAIL and not user.email:
        raise ValidationError({"channel": "Add an email address to your account first."})
    reminder, _ = Reminder.objects.update_or_create(
        user=user, defaults={"enabled": enabled, "at": at, "channel": channel}
    )
    return reminder


REMINDER_TITLE = "A moment for yourself?"
REMINDER_BODY = "Your check-in is here if you want it. It takes under a minute."
REMINDER_FOOTER = "To change or stop these reminders, open Check in > Reminders in Kinwell."


def _email(address: str, text: str) -> None:
    from django.core.mail import send_mail

    # A mail server hiccup must not undo the day's bookkeeping; the member can still
    # check in, and tomorrow's reminder is unaffected.
    send_mail(REMINDER_TITLE, text, None, [address], fail_silently=True)


def reminders_send(*, now: Any = None) -> int:
    """Send today's reminders that are due: the member's local time has passed the chosen
    time, they have not checked in today, and they were not reminded today. Safe to run as
    often as you like (cron or a task worker every few minutes)."""
    from django.urls import reverse

    from kinwell.checkins.models import Reminder
    from kinwell.core.services import notification_send

    now = now or timezone.now()
    sent = 0
    for reminder in Reminder.objects.filter(enabled=True, user__is_active=True).select_related(
        "user"
    ):
        local = now.astimezone(_tz(reminder.user))
        today = local.date()
        if local.time() < reminder.at or reminder.last_sent_on == today:
            continue
        if CheckIn.objects.filter(user=reminder.user, day=today).exists():
            continue
        with transaction.atomic():
            claimed = (
                Reminder.objects.filter(pk=reminder.pk)
                .exclude(last_sent_on=today)
                .update(last_sent_on=today)
            )
            if not claimed:
                continue
            if reminder.channel == Reminder.Channel.EMAIL:
                url = settings.SITE_URL.rstrip("/") + reverse("checkins:today")
                text = f"{REMINDER_BODY}\n\n{url}\n\n{REMINDER_FOOTER}"
                address = reminder.user.email
                transaction.on_commit(partial(_email, address, text))
            else:
                notification_send(
                    user=reminder.user,
                    title=REMINDER_TITLE,
                    body=REMINDER_BODY,
                    url=reverse("checkins:today"),
                )
        sent += 1
    return sent

"""iCalendar for circle meetings: one meeting as a download, or the circle's feed."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event


def meeting_calendar(meetings: Iterable[Any], circle: Any) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Kinwell//Circle meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Kinwell: {circle.name}")
    host = urlsplit(settings.SITE_URL).hostname or "kinwell.invalid"
    for meeting in meetings:
        event = Event()
        event.add("uid", f"circle-meeting-{meeting.pk}@{host}")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.starts_at + timedelta(minutes=meeting.minutes))
        event.add("summary", f"{meeting.title} ({circle.name})")
        if meeting.where:
            event.add("location", meeting.where)
        event.add(
            "description",
            "Your Kinwell circle. What is said in the circle stays in the circle.",
        )
        calendar.add_component(event)
    return calendar.to_ical()

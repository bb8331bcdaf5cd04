"""Honest summaries of a member's check-ins: averages with their counts, never streaks."""

from collections import Counter
from typing import Any

from kinwell.checkins.models import FIVE_S, CheckIn


def summary(checkins: list[CheckIn]) -> dict[str, Any]:
    n = len(checkins)
    averages = []
    for name, label, _question, _anchors in FIVE_S:
        values = [getattr(c, name) for c in checkins]
        averages.append(
            {
                "name": name,
                "label": label,
                "average": round(sum(values) / n, 1) if n else None,
                "points": [(c.day.strftime("%d %b"), float(getattr(c, name))) for c in checkins],
            }
        )
    windows = Counter(c.window for c in checkins)
    return {
        "count": n,
        "averages": averages,
        "window": [
            {"label": label, "count": windows.get(value, 0)}
            for value, label in CheckIn.Window.choices
        ],
    }


def _overall(checkin: CheckIn) -> float:
    return sum(getattr(checkin, name) for name, *_ in FIVE_S) / len(FIVE_S)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


# Below this many check-ins in a week, a change is shown but called uncertain.
FEW = 3
# A person is compared only with at least this many days with them and without them.
MIN_DAYS = 2


def weekly_reflection(*, user: Any, end: Any) -> dict[str, Any]:
    """The week ending on `end` (the member's own date) against the week before: what
    went up, what went down, and which people went with better days over the last 30
    days. Every figure carries the count it rests on, so nothing looks surer than it is.
    """
    from datetime import timedelta

    from kinwell.network.models import Contact

    start = end - timedelta(days=6)
    before_start = start - timedelta(days=7)
    rows = list(
        CheckIn.objects.filter(user=user, day__gte=min(before_start, end - timedelta(days=29)))
        .filter(day__lte=end)
        .order_by("day")
    )
    this_week = [c for c in rows if start <= c.day <= end]
    last_week = [c for c in rows if before_start <= c.day < start]
    changes = []
    for name, label, _question, _anchors in FIVE_S:
        now = _mean([getattr(c, name) for c in this_week])
        then = _mean([getattr(c, name) for c in last_week])
        delta = round(now - then, 1) if now is not None and then is not None else None
        changes.append(
            {
                "label": label,
                "now": now,
                "then": then,
                "delta": delta,
                "direction": "up"
                if delta and delta > 0
                else "down"
                if delta and delta < 0
                else "same",
            }
        )
    month = [c for c in rows if c.day > end - timedelta(days=30)]
    by_day = {c.day: _overall(c) for c in month}
    together: dict[int, set[Any]] = {}
    names: dict[int, str] = {}
    for contact in Contact.objects.filter(person__user=user, day__in=list(by_day)).select_related(
        "person"
    ):
        together.setdefault(contact.person_id, set()).add(contact.day)
        names[contact.person_id] = contact.person.alias
    from kinwell.circles.models import CircleConnection

    for link in CircleConnection.objects.filter(
        checkin__user=user, checkin__day__in=list(by_day)
    ).select_related("checkin", "circle"):
        key = -link.circle_id  # circles and people share the table; keys never clash
        together.setdefault(key, set()).add(link.checkin.day)
        names[key] = f"Your circle ({link.circle.name})"
    people = []
    for person_id, days in together.items():
        with_them = [by_day[d] for d in days]
        without = [score for day, score in by_day.items() if day not in days]
        if len(with_them) < MIN_DAYS or len(without) < MIN_DAYS:
            continue
        people.append(
            {
                "alias": names[person_id],
                "with": _mean(with_them),
                "with_n": len(with_them),
                "without": _mean(without),
                "without_n": len(without),
                "difference": round((_mean(with_them) or 0) - (_mean(without) or 0), 1),
            }
        )
    people.sort(key=lambda p: (-float(p["difference"] or 0), str(p["alias"])))
    windows = Counter(c.window for c in this_week)
    return {
        "start": start,
        "end": end,
        "count": len(this_week),
        "count_before": len(last_week),
        "few": len(this_week) < FEW or len(last_week) < FEW,
        "changes": changes,
        "went_up": [c for c in changes if c["direction"] == "up"],
        "went_down": [c for c in changes if c["direction"] == "down"],
        "people": people,
        "month_days": len(by_day),
        "window": [
            {"label": label, "count": windows.get(value, 0)}
            for value, label in CheckIn.Window.choices
        ],
    }

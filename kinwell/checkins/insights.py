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

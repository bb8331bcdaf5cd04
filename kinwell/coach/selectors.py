from typing import Any

from kinwell.coach.models import CoachPreference


def coach_preference_for(user: Any) -> bool | None:
    """The member's own choice, or None when they have not made one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return CoachPreference.objects.filter(user_id=user.pk).values_list("enabled", flat=True).first()


def coach_enabled_for(user: Any, circle: Any = None) -> bool:
    """Whether to show the coach beside this member's reply box.

    The member's explicit choice wins; without one, the circle's default (a facilitator
    setting) when there is a circle; otherwise the coach is on.
    """
    choice = coach_preference_for(user)
    if choice is not None:
        return bool(choice)
    if circle is not None and circle != "":
        return bool(getattr(circle, "coach_default", True))
    return True

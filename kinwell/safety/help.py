"""What a member sees, in the same response, when their words suggest they are struggling."""

from typing import Any

from kinwell.safety.crisis_lines import crisis_lines
from kinwell.safety.selectors import safety_plan_for


def inline_help(*, user: Any, level: str) -> dict[str, Any]:
    lines = crisis_lines()
    country = lines.for_country(getattr(user, "country", ""))
    plan = safety_plan_for(user=user)
    people = []
    if plan and plan.people_to_ask.strip():
        people = [p.strip() for p in plan.people_to_ask.splitlines() if p.strip()][:5]
    return {
        "help_level": level,
        "help_country": country,
        "help_international": lines.international,
        "help_plan": plan if plan and not plan.is_empty() else None,
        "help_people": people,
    }

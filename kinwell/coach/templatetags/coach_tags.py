from typing import Any

from django import template

from kinwell.coach.selectors import coach_enabled_for

register = template.Library()


@register.simple_tag(takes_context=True)
def coach_enabled(context: Any) -> bool:
    """``{% coach_enabled as on %}``: the member's choice, else the ``circle`` in the
    context (its default), else on."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return coach_enabled_for(user, context.get("circle") or None)

from django import template

from kinwell.safety import sources, spaces

register = template.Library()


@register.filter
def source_label(source_type: str) -> str:
    return sources.label(source_type)


@register.filter
def space_label(space: str) -> str:
    return spaces.label(space)

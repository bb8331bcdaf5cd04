"""The privacy registry: every app declares here the personal data it keeps.

One declaration drives three things, so they cannot drift apart: the privacy page
("what is kept, why, who sees it"), "Download my data", and the test that walks
every model and fails if a model linked to a member is missing from this registry
or would survive the member's deletion.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model


@dataclass(frozen=True)
class DataCategory:
    key: str
    model: type[Model]
    owner: str
    title: str
    purpose: str
    visible_to: str
    fields: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # Rows that point to the member but are someone else's record (an access log kept
    # for the person whose data was viewed) declare why they are kept on deletion.
    kept_on_delete: str = ""
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None)

    def export_fields(self) -> list[str]:
        if self.fields:
            return list(self.fields)
        return [
            f.attname
            for f in self.model._meta.concrete_fields
            if f.attname not in self.exclude and f.name not in self.exclude
        ]


_registry: dict[str, DataCategory] = {}


def register(category: DataCategory) -> None:
    if category.key in _registry and _registry[category.key] != category:
        raise ValueError(f"privacy category {category.key!r} registered twice")
    _registry[category.key] = category


_attachments: dict[str, Callable[[Any], Any]] = {}


def register_attachment(name: str, builder: Callable[[Any], Any]) -> None:
    """Extra documents in the export built from a member's rows (e.g. a FHIR Bundle)."""
    _attachments[name] = builder


def attachments() -> dict[str, Callable[[Any], Any]]:
    return dict(_attachments)


def categories() -> Iterable[DataCategory]:
    return sorted(_registry.values(), key=lambda c: c.key)


def registered_models() -> set[type[Model]]:
    return {c.model for c in _registry.values()}

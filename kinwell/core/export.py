"""Build "Download my data": every row that belongs to the member, by category.

Schema (stable keys, documented in docs/export-schema.md):
{"schema": "kinwell-export/1", "exported_at": ISO-8601, "member_id": int,
 "categories": {KEY: {"title": str, "purpose": str, "visible_to": str,
                      "rows": [{field: value, ...}, ...]}}}
"""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from kinwell.core import privacy

EXPORT_SCHEMA = "kinwell-export/1"


def member_export(*, user: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "schema": EXPORT_SCHEMA,
        "exported_at": timezone.now().isoformat(),
        "member_id": user.pk,
        "categories": {},
    }
    for category in privacy.categories():
        if category.kept_on_delete:
            # Other people's records about what this member did are theirs, not the member's.
            continue
        rows = category.model._default_manager.filter(**{category.owner: user.pk}).order_by("pk")
        values = [dict(row) for row in rows.values(*category.export_fields())]
        if category.transform is not None:
            values = [category.transform(row) for row in values]
        result["categories"][category.key] = {
            "title": category.title,
            "purpose": category.purpose,
            "visible_to": category.visible_to,
            "rows": values,
        }
    result["attachments"] = {
        name: builder(user) for name, builder in sorted(privacy.attachments().items())
    }
    return result


def member_export_json(*, user: Any) -> str:
    return json.dumps(member_export(user=user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)

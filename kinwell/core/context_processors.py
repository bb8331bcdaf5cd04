from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {"ws_url": settings.WS_URL, "debug": settings.DEBUG}

"""Find every route the project serves, so the authorization matrix cannot miss one.

HTTP routes come from walking Django's URL resolver; WebSocket routes from walking the
real ASGI application in config/asgi.py down to its URLRouter(s). Both return stable keys:
the route name ("circles:post") when it has one, else its full pattern.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the full pattern for unnamed routes
    pattern: str  # the full path pattern, e.g. "circles/<int:circle_id>/"
    view: str  # dotted path of the view, for messages

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")


def _walk(patterns: list[Any], prefix: str, namespace: str | None) -> list[Route]:
    found: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found += _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            found.append(Route(key=name or pattern, pattern=pattern, view=entry.lookup_str))
    return found


def http_routes() -> list[Route]:
    return _walk(get_resolver().url_patterns, "", None)


@functools.cache
def asgi_application() -> Any:
    """The real ASGI application. Importing config.asgi marks the process as an ASGI
    worker (KINWELL_ASGI=1); put the environment back so later tests are unaffected."""
    import os

    had = "KINWELL_ASGI" in os.environ
    try:
        from config.asgi import application
    finally:
        if not had:
            os.environ.pop("KINWELL_ASGI", None)
    return application


# Wrappers we know and walk through; anything else in the chain is reported, so a new
# ASGI-level endpoint (like the relay) cannot appear without a matrix entry.
KNOWN_WRAPPERS = {
    "kinwell.core.layers.RelayEndpoint": "app",
    "channels.security.websocket.OriginValidator": "application",
    "channels.sessions.CookieMiddleware": "inner",
    "channels.sessions.SessionMiddleware": "inner",
    "channels.auth.AuthMiddleware": "inner",
}
# Wrappers that only pass requests on (the rest answer some requests themselves).
PASSTHROUGH = {
    "channels.security.websocket.OriginValidator",
    "channels.sessions.CookieMiddleware",
    "channels.sessions.SessionMiddleware",
    "channels.auth.AuthMiddleware",
}


def qualname(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def websocket_routes(application: Any = None) -> list[Route]:
    """Every WebSocket route of the ASGI application, by its full path pattern."""
    from channels.routing import ProtocolTypeRouter, URLRouter

    app = application if application is not None else asgi_application()
    found: list[Route] = []

    def walk(node: Any, prefix: str) -> None:
        name = qualname(node)
        if isinstance(node, ProtocolTypeRouter):
            walk(node.application_mapping["websocket"], prefix)
        elif isinstance(node, URLRouter):
            for route in node.routes:
                pattern = prefix + str(route.pattern)
                callback = route.callback
                if isinstance(callback, URLRouter):
                    walk(callback, pattern)
                else:
                    consumer = getattr(callback, "consumer_class", callback)
                    view = f"{consumer.__module__}.{consumer.__qualname__}"
                    found.append(Route(key=pattern, pattern=pattern, view=view))
        elif name in KNOWN_WRAPPERS:
            walk(getattr(node, KNOWN_WRAPPERS[name]), prefix)
        else:
            raise AssertionError(
                f"unknown ASGI wrapper {name} in config.asgi: teach tests/security/discovery.py "
                "to walk it and give whatever it serves an entry in tests/security/matrix.py"
            )

    walk(app, "")
    return found


def asgi_wrappers(application: Any = None) -> list[str]:
    """The wrappers around the HTTP and WebSocket apps, outermost first (for the relay)."""
    app = application if application is not None else asgi_application()
    chain = []
    node = app
    while qualname(node) in KNOWN_WRAPPERS:
        chain.append(qualname(node))
        node = getattr(node, KNOWN_WRAPPERS[qualname(node)])
    return chain

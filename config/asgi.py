"""ASGI entry point: WebSockets only in production (pages are served under WSGI).

Django under ASGI costs about ten times the CPU per page on our machines
(shared/reference/performance-baselines.md), so nginx sends only /ws/ here.
HTTP is still answered, so that a single ASGI process works in development.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("KINWELL_ASGI", "1")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from kinwell.core.layers import RelayEndpoint  # noqa: E402
from kinwell.routing import websocket_urlpatterns  # noqa: E402
from kinwell.safety.screening import warm_up  # noqa: E402

warm_up()

application = RelayEndpoint(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)

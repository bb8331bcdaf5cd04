"""WebSocket routes of every app, gathered for config.asgi."""

from kinwell.circles.routing import websocket_urlpatterns as circles_ws
from kinwell.core.routing import websocket_urlpatterns as core_ws
from kinwell.safety.routing import websocket_urlpatterns as safety_ws

websocket_urlpatterns = [*core_ws, *safety_ws, *circles_ws]

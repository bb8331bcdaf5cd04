from django.urls import path

from kinwell.safety.consumers import QueueConsumer

websocket_urlpatterns = [path("ws/safety/queue/", QueueConsumer.as_asgi())]

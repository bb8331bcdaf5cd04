from django.urls import path

from kinwell.circles.consumers import ChatConsumer

websocket_urlpatterns = [path("ws/circles/<int:circle_id>/chat/", ChatConsumer.as_asgi())]

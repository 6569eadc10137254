"""WebSocket URL routes: the live stream of a simulation."""
from django.urls import path

from rolloutviz.consumers import SimulationConsumer

websocket_urlpatterns = [
    path("ws/simulations/<int:simulation_id>/", SimulationConsumer.as_asgi()),
]

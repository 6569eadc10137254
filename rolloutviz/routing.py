"""WebSocket URL routes (the live stream's consumer is added here)."""
websocket_urlpatterns = []

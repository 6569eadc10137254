"""ASGI entry point: Django for HTTP, origin-checked Channels routing for WebSockets (with the
session, which decides a viewer's role as it does for HTTP; the consumer looks its user up)."""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rolloutviz.settings")
# Django must be set up before the routing (and so the consumers and models) is imported.
django.setup(set_prefix=False)  # (as get_asgi_application does)

from rolloutviz.middleware import Handler  # noqa: E402

django_asgi_app = Handler()  # Django's ASGI handler, its middleware on the event loop (rolloutviz/middleware.py)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from rolloutviz.request_threads import with_kept_threads  # noqa: E402
from rolloutviz.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": with_kept_threads(django_asgi_app),  # (rolloutviz/request_threads.py)
        # Not Channels' AuthMiddlewareStack: it looks the user up on Django's one shared sync thread
        # before the consumer can accept, so a class connecting at once queued there past Daphne's
        # 5 s handshake limit; the consumer looks the user up after accepting, in a pool thread.
        "websocket": AllowedHostsOriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# The simulation workers, and (CLOCK_MODE=inprocess) the clock, run from the server's first moment
# (Daphne has no lifespan events, so they are scheduled on its event loop).
from rolloutviz.clock.hosting import start_with_server  # noqa: E402

start_with_server()

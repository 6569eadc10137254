"""The Content-Security-Policy header: django-csp's middleware, plus the page's own WebSocket
origin in ``connect-src``.

CSP Level 3 lets ``'self'`` match ``ws:``/``wss:`` of the page's own host, and Chromium and
Firefox do so; Safari's older releases do not, so the origin the live stream uses
(``/ws/simulations/<id>/``) is also named explicitly: ``wss://<host>`` behind HTTPS,
``ws://<host>`` otherwise (a page served over HTTPS may not open a plain ``ws:`` socket anyway).
"""
from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost

from rolloutviz.middleware import OnTheLoop


def websocket_origin(request) -> str | None:
    """The WebSocket origin of the host this request was made to, or None for a host that
    `ALLOWED_HOSTS` refuses (that request is answered 400 and needs no socket)."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{'wss' if request.is_secure() else 'ws'}://{host}"


class ContentSecurityPolicyMiddleware(OnTheLoop, CSPMiddleware):
    """django-csp's CSPMiddleware with `websocket_origin` added to ``connect-src`` (run on the event
    loop: building the header reads settings and the request only)."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origin = websocket_origin(request)
        if origin is not None:
            update = dict(parts.update or {})  # a view's own @csp_update keeps its sources
            sources = update.get("connect-src") or []
            update["connect-src"] = [*([sources] if isinstance(sources, str) else sources), origin]
            parts.update = update
        return parts

"""`manage.py tls_certificate [--port 8443] [--host 127.0.0.1]`: make the local certificates of
kubectl's HTTPS endpoint when missing (`rolloutviz.tls`) and print Daphne's endpoint for it.

`make run` passes the printed endpoint to ``daphne -e``, so one command serves the page over
HTTP and the Kubernetes API over HTTPS.
"""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from rolloutviz import tls


class Command(BaseCommand):
    help = "Make the local CA and server certificate of the HTTPS endpoint; print Daphne's endpoint string."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=settings.KUBERNETES_TLS_PORT,
                            help="the HTTPS port (default: setting KUBERNETES_TLS_PORT)")
        parser.add_argument("--host", default="127.0.0.1",
                            help="the address to listen on, also named in the certificate (default 127.0.0.1)")

    def handle(self, *args, port: int, host: str, **options) -> None:
        files = tls.ensure(settings.KUBERNETES_TLS_DIR, tls.machine_names((host,)))
        self.stdout.write(tls.daphne_endpoint(files, port, host))

"""`manage.py operator_link [--base URL]`: print the operator's link, as Jupyter prints its token URL.

Opening it grants the operator role (see every simulation, moderate them) to that browser's
session, so whoever runs the server is never locked out. `make run` prints it before serving.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand

from rolloutviz.services.links import link_path, operator_link


class Command(BaseCommand):
    help = "Print the operator link (made once and kept in the database)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--base", default="http://127.0.0.1:8000",
                            help="the address the server is reached at (default http://127.0.0.1:8000)")

    def handle(self, *args, base: str, **options) -> None:
        self.stdout.write(f"Operator link (keep it private): {base.rstrip('/')}{link_path(operator_link())}")

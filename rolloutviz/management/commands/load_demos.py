"""`manage.py load_demos [--if-empty]`: one simulation per built-in demo.

They belong to the operator (no owner) and are public: everyone may view and copy them."""
from django.core.management.base import BaseCommand

from rolloutviz import demos
from rolloutviz.models import Simulation
from rolloutviz.services.simulations import simulation_create


class Command(BaseCommand):
    help = "Create one simulation for each built-in demo, its first manifest applied."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when any simulation exists already")

    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and Simulation.objects.exists():
            self.stdout.write("simulations exist already; no demos loaded")
            return
        for demo in demos.all_demos():
            sim = simulation_create(demo=demo.key)
            Simulation.objects.filter(pk=sim.pk).update(public=True)
            self.stdout.write(f"simulation {sim.id}: {demo.title}")

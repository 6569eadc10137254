"""The admin lists every stored simulation, Deployment, revision and history record."""
from django.contrib import admin

from rolloutviz import models


@admin.register(models.Simulation)
class SimulationAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "demo", "seed", "sim_time", "seq", "running", "speed",
                    "lease_owner", "lease_expires", "updated"]
    search_fields = ["name", "demo"]


@admin.register(models.Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ["id", "simulation", "namespace", "name", "generation", "paused"]
    list_filter = ["simulation"]
    search_fields = ["name"]


@admin.register(models.Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["id", "deployment", "revision", "replicaset", "template_hash", "images",
                    "change_cause", "created_sim_time"]
    list_filter = ["deployment__simulation"]


@admin.register(models.CommandRecord)
class CommandRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "simulation", "index", "sim_time", "name", "args", "ok"]
    list_filter = ["simulation", "ok"]


@admin.register(models.Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["id", "simulation", "seq", "sim_time"]
    list_filter = ["simulation"]


@admin.register(models.TickRecord)
class TickRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "simulation", "seq", "sim_time"]
    list_filter = ["simulation"]

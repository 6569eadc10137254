"""The stored state of every simulation: its clock, Deployments, revisions and recorded history.

The authoritative cluster state lives in the latest `Snapshot` plus the `TickRecord`s after it;
`Deployment` and `Revision` rows mirror the cluster for listing, the admin and the history view.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models


class Simulation(models.Model):
    """One simulated cluster with its own seed, tick length and clock."""

    name = models.CharField(max_length=200, blank=True, default="")
    seed = models.BigIntegerField(default=0)
    tick = models.FloatField(default=1.0, help_text="Simulated seconds per step.")
    speed = models.FloatField(default=1.0, help_text="Simulated seconds per wall-clock second.")
    running = models.BooleanField(default=False)
    sim_time = models.FloatField(default=0.0, help_text="Seconds since 2026-01-01T00:00:00Z.")
    seq = models.BigIntegerField(default=0, help_text="Number of the last published delta.")
    demo = models.CharField(max_length=100, blank=True, default="")
    lease_owner = models.CharField(max_length=200, blank=True, default="")
    lease_expires = models.DateTimeField(null=True, blank=True)
    owner_session = models.CharField(
        max_length=64, blank=True, default="", db_index=True,
        help_text="Session key of whoever created it (empty: the operator's).",
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="simulations", help_text="The account that owns it (a session's are adopted on login).",
    )
    public = models.BooleanField(
        default=False, help_text="Everyone may view and copy it (the demos `load_demos` preloads).",
    )
    last_watched = models.DateTimeField(
        null=True, blank=True,
        help_text="Last time someone watched it (a socket open, an API read); an unwatched clock stops.",
    )
    lesson_step = models.PositiveIntegerField(
        default=0, help_text="The tutorial step the presenter shows (0-based), the same for every viewer.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id}: {self.name or 'simulation'}"


class Link(models.Model):
    """A token granting one role: ``view`` or ``edit`` in one simulation, or ``operator`` over all.

    Opening its URL grants the role to the browser's session; the same token is a bearer token
    for the JSON API and a WebSocket's ``?token=``. Revoking deletes the row, which ends every
    grant made through it.
    """

    VIEW, EDIT, OPERATOR = "view", "edit", "operator"
    ROLES = [(VIEW, "view"), (EDIT, "edit"), (OPERATOR, "operator")]

    simulation = models.ForeignKey(
        Simulation, null=True, blank=True, on_delete=models.CASCADE, related_name="links",
        help_text="Empty for an operator token.",
    )
    token = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=16, choices=ROLES)
    label = models.CharField(max_length=100, blank=True, default="", help_text='e.g. "kubeconfig".')
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(role="operator", simulation__isnull=True)
                           | (models.Q(role__in=["view", "edit"]) & models.Q(simulation__isnull=False))),
                name="link_role_matches_scope",
            )
        ]

    def __str__(self) -> str:
        where = f"simulation {self.simulation_id}" if self.simulation_id else "every simulation"
        return f"{self.role} link to {where}"


class Deployment(models.Model):
    """A Deployment of a simulation, as last applied and as the controller sees it."""

    simulation = models.ForeignKey(
        Simulation, on_delete=models.CASCADE, related_name="deployments"
    )
    namespace = models.CharField(max_length=253, default="default")
    name = models.CharField(max_length=253)
    manifest = models.TextField(blank=True, default="", help_text="YAML as last applied.")
    generation = models.BigIntegerField(default=0)
    paused = models.BooleanField(default=False)

    class Meta:
        ordering = ["simulation_id", "namespace", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["simulation", "namespace", "name"], name="unique_deployment_per_sim"
            )
        ]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name} (sim {self.simulation_id})"


class Revision(models.Model):
    """One pod template (one ReplicaSet) of a Deployment; its number moves on rollback."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="revisions")
    revision = models.BigIntegerField()
    replicaset = models.CharField(max_length=253)
    template = models.JSONField(default=dict)
    template_hash = models.CharField(max_length=63, blank=True, default="")
    images = models.JSONField(default=list)
    change_cause = models.TextField(blank=True, default="")
    created_sim_time = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deployment_id", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "replicaset"], name="unique_replicaset_per_deployment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.replicaset} (revision {self.revision})"


class CommandRecord(models.Model):
    """A user command, in the order it ran, with its sim time and outcome (for replay)."""

    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="commands")
    index = models.BigIntegerField()
    sim_time = models.FloatField()
    name = models.CharField(max_length=100)
    label = models.CharField(
        max_length=200, blank=True, default="",
        help_text='How the timeline names it when not by `name`, e.g. "kubectl rollout undo" (a Kubernetes API write).',
    )
    args = models.JSONField(default=dict)
    outcome = models.JSONField(default=dict, help_text="The result, or the errors.")
    ok = models.BooleanField(default=True)

    class Meta:
        ordering = ["simulation_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["simulation", "index"], name="unique_command_index")
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.name} at {self.sim_time}s (sim {self.simulation_id})"


class Snapshot(models.Model):
    """The whole cluster state (`Cluster.snapshot()`) at one sim time."""

    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="snapshots")
    sim_time = models.FloatField()
    seq = models.BigIntegerField()
    state = models.JSONField()

    class Meta:
        ordering = ["simulation_id", "seq", "id"]
        indexes = [models.Index(fields=["simulation", "seq"], name="snapshot_sim_seq")]

    def __str__(self) -> str:
        return f"snapshot seq {self.seq} at {self.sim_time}s (sim {self.simulation_id})"


class TickRecord(models.Model):
    """One published delta, exactly as sent to the viewers."""

    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="ticks")
    seq = models.BigIntegerField()
    sim_time = models.FloatField()
    payload = models.JSONField()

    class Meta:
        ordering = ["simulation_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["simulation", "seq"], name="unique_tick_seq")
        ]
        indexes = [models.Index(fields=["simulation", "sim_time"], name="tick_sim_time")]

    def __str__(self) -> str:
        return f"tick seq {self.seq} at {self.sim_time}s (sim {self.simulation_id})"


class Comparison(models.Model):
    """Two to four simulations of one scenario with different settings, run on one clock.

    The members are copies of one base at one instant (same seed, same state), each with its
    variant applied then; the comparison's clock (``running``, ``speed``, the lease) steps every
    member by the same ticks, and its commands land on every member at the same instant.
    """

    name = models.CharField(max_length=200, blank=True, default="")
    tick = models.FloatField(default=1.0, help_text="Simulated seconds per step (every member's).")
    speed = models.FloatField(default=1.0, help_text="Simulated seconds per wall-clock second.")
    running = models.BooleanField(default=False)
    lease_owner = models.CharField(max_length=200, blank=True, default="")
    lease_expires = models.DateTimeField(null=True, blank=True)
    owner_session = models.CharField(max_length=64, blank=True, default="", db_index=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="comparisons",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"comparison {self.id}: {self.name or 'comparison'}"


class ComparisonMember(models.Model):
    """One simulation of a comparison, with the variant applied to it."""

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="members")
    simulation = models.OneToOneField(Simulation, on_delete=models.CASCADE, related_name="comparison_member")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=100, blank=True, default="")
    yaml = models.TextField(blank=True, default="", help_text="The variant's manifest, as applied.")
    deployment = models.CharField(max_length=253, help_text="The Deployment the variant sets (its summary's).")

    class Meta:
        ordering = ["comparison_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["comparison", "position"], name="unique_member_position")
        ]

    def __str__(self) -> str:
        return f"member {self.position} of comparison {self.comparison_id}: simulation {self.simulation_id}"


class ComparisonCommand(models.Model):
    """A command sent to a comparison: run on every member at one instant by whoever holds its lease."""

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="commands")
    name = models.CharField(max_length=100)
    args = models.JSONField(default=dict)
    done = models.BooleanField(default=False, db_index=True)
    sim_time = models.FloatField(null=True, blank=True, help_text="When it ran (every member's time).")
    results = models.JSONField(default=list, help_text="Per member: {result} or {errors}.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["comparison_id", "id"]

    def __str__(self) -> str:
        return f"{self.name} on comparison {self.comparison_id}"

"""Errors the simulated API server raises, worded as kubectl prints them."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.notes import field_error_note


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, as apimachinery's ``field.Error`` reports it."""

    field: str  # Kubernetes field path, e.g. "spec.template.spec.containers[0].image"
    message: str  # e.g. "Required value" / "Invalid value: 0: must be greater than or equal to 0"
    line: int | None = None  # 1-based line in the YAML text, when known

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def as_dict(self) -> dict:
        """The JSON shape the web API sends to the editor, with a learner's ``"note"`` when
        Kubernetes' wording needs one (notes.py)."""
        shape = {"field": self.field, "message": self.message, "line": self.line}
        note = field_error_note(self.field, self.message)
        if note is not None:
            shape["note"] = note
        return shape


def aggregate(errors: list[FieldError]) -> str:
    """Kubernetes' ``ErrorList.ToAggregate().Error()``: duplicates dropped, several in ``[a, b]``."""
    texts: list[str] = []
    for error in errors:
        text = str(error)
        if text not in texts:
            texts.append(text)
    if len(texts) == 1:
        return texts[0]
    return "[" + ", ".join(texts) + "]"


class ValidationError(ValueError):
    """An apply the API server (or kubectl before it) refuses; nothing was changed.

    ``str()`` is what kubectl prints: ``The Deployment "web" is invalid: <aggregate>`` for a
    validation failure.  Failures that happen before validation (YAML syntax, decoding, an
    unknown kind) pass ``message`` with kubectl's own wording for that case.
    """

    def __init__(
        self,
        errors: list[FieldError],
        kind: str = "",
        name: str = "",
        message: str | None = None,
    ):
        self.errors = list(errors)
        self.kind = kind
        self.name = name
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.message is not None:
            return self.message
        body = aggregate(self.errors)
        if self.kind:
            return f'The {self.kind} "{self.name}" is invalid: {body}'
        return body


def child_path(parent: str, key: str | int) -> str:
    """Append a field name (``.key``), a map key (``[a.b/c]``) or a list index (``[0]``).

    Plain names are written the way ``field.Path.Child`` writes them; keys that would be
    ambiguous after a dot (label keys such as ``app.kubernetes.io/name``) the way
    ``field.Path.Key`` does.
    """
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if key and all(c.isalnum() or c in "-_" for c in key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{key}]"


class EngineStuck(RuntimeError):
    """Internal error: the work of one simulated instant did not converge.

    Every loop inside an instant is bounded (see README, "Simulator"): a pod's kubelet runs
    each container action and probe at most once per instant, and a controller reacts to
    one object a bounded number of times per cause. Going past a bound means a defect in
    the engine, so the step stops with this error, naming what kept coming back, instead
    of spinning or silently dropping work. Nothing is rolled back: treat the cluster as
    broken and restore the last snapshot.
    """

    def __init__(self, kind: str, name: str, action: str, at_ms: int, detail: str):
        self.kind = kind            # "Pod", "Deployment", "ReplicaSet", ...
        self.name = name            # the object's name
        self.action = action        # the timer, container action, probe or controller
        self.at = at_ms / 1000      # simulated seconds since 2026-01-01T00:00:00Z
        super().__init__(f"engine stuck at t={self.at:g}s: {kind} {name!r}, {action}: {detail}")

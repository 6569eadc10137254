"""Revision numbers of a Deployment's ReplicaSets (the deployment.kubernetes.io/revision annotations).

Mirrors MaxRevision, LastRevision, Revision and the revision-history part of
SetNewReplicaSetAnnotations in pkg/controller/deployment/util/deployment_util.go.
"""

from __future__ import annotations

import re

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
# Kubernetes caps the revision-history annotation at this many characters.
REVISION_HISTORY_LIMIT_CHARS = 2000


_INT64 = range(-(2**63), 2**63)


def revision_number(value: str | int | None) -> int | None:
    """A revision annotation as Revision() reads it: absent counts as 0; what
    strconv.ParseInt(v, 10, 64) refuses ("abc", "", " 1", "1_0", beyond int64) is None, which
    Kubernetes logs and skips."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[+-]?[0-9]+", value):
        return None
    number = int(value)
    return number if number in _INT64 else None


def max_revision(revisions: list) -> int:
    """The highest revision among ReplicaSets, unparsable ones skipped (MaxRevision)."""
    return max([r for r in map(revision_number, revisions) if r is not None], default=0)


def last_revision(revisions: list) -> int:
    """The second highest revision: what ``rollout undo`` without --to-revision targets (LastRevision)."""
    highest = second = 0
    for revision in filter(lambda r: r is not None, map(revision_number, revisions)):
        if revision >= highest:
            highest, second = revision, highest
        elif revision > second:
            second = revision
    return second


def append_revision_history(history: str | None, old_revision: str,
                            limit_chars: int = REVISION_HISTORY_LIMIT_CHARS) -> str | None:
    """The revision-history annotation after a re-used RS gives up ``old_revision``.

    Oldest entries are dropped to stay within ``limit_chars``; None means "leave it unchanged"
    (the new entry alone would not fit).
    """
    if not history:
        return old_revision
    entries = history.split(",")
    total = len(history) + len(old_revision) + 1
    start = 0
    while total > limit_chars and start < len(entries):
        total -= len(entries[start]) + 1
        start += 1
    if total > limit_chars:
        return None
    return ",".join([*entries[start:], old_revision])

"""Revision annotations Kubernetes cannot parse (deployment_util.go Revision, MaxRevision,
SetNewReplicaSetAnnotations): logged and skipped, never a crash."""
import pytest

from simulator.controllers.deployment import revisions as rev
from simulator.controllers.deployment.sync import set_new_rs_annotations
from simulator.objects import Deployment, ReplicaSet

REVISION = rev.REVISION_ANNOTATION


@pytest.mark.parametrize("value, expected", [
    (None, 0), ("7", 7), ("+7", 7), ("-3", -3), ("007", 7), (str(2**63 - 1), 2**63 - 1),
    ("abc", None), ("", None), (" 7", None), ("7 ", None), ("1_0", None), ("7.0", None),
    ("0x10", None), (str(2**63), None), ("٣", None),
], ids=["absent", "number", "plus sign", "negative", "leading zeros", "int64 max", "letters",
        "empty", "leading space", "trailing space", "underscore", "decimal", "hex",
        "beyond int64", "non-ASCII digit"])
def test_revision_reads_as_strconv_parse_int(value, expected):
    assert rev.revision_number(value) == expected


def test_max_revision_skips_what_it_cannot_parse():
    assert rev.max_revision(["1", "abc", "3", str(2**64)]) == 3


def _objects(rs_revision):
    d = Deployment("web", "uid-d", 0, {}, {"team": "a"}, {"replicas": 1})
    rs = ReplicaSet("web-1", "uid-r", 0, {}, {REVISION: rs_revision}, "web", "uid-d", 1, 0, {}, {})
    return d, rs


def test_set_new_replica_set_annotations_gives_up_on_an_unparsable_revision():
    d, rs = _objects("abc")
    assert set_new_rs_annotations(d, rs, 5, exists=True) is False
    assert rs.annotations == {REVISION: "abc"}      # nothing written, not even the copies


def test_an_empty_revision_counts_as_zero():
    d, rs = _objects("")
    assert set_new_rs_annotations(d, rs, 5, exists=True) is True
    assert rs.annotations[REVISION] == "5" and rs.annotations["team"] == "a"


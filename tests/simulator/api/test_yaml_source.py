"""Untrusted YAML → manifests with line maps, and the hostile inputs it must refuse."""

import pytest

from simulator.api.yaml_source import (
    MAX_DEPTH,
    MAX_MANIFEST_BYTES,
    MAX_NODES,
    Manifest,
    attach_lines,
    line_for,
    load_manifests,
)
from simulator.errors import FieldError, ValidationError

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.14.2
        readinessProbe:
          httpGet:
            path: /
            port: 80
"""


def test_one_document_gives_data_and_lines():
    [manifest] = load_manifests(DEPLOYMENT)
    assert manifest.obj["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.14.2"
    assert manifest.lines[""] == 1
    assert manifest.lines["spec.replicas"] == 8
    assert manifest.lines["spec.template.spec.containers[0]"] == 18
    assert manifest.lines["spec.template.spec.containers[0].readinessProbe.httpGet.port"] == 23
    # Keys with dots or slashes are written the way field.Path.Key writes them.
    assert manifest.lines["metadata.labels[app.kubernetes.io/name]"] == 6


@pytest.mark.parametrize(
    "field, line",
    [
        ("spec.template.spec.containers[0].image", 19),
        ("spec.strategy.rollingUpdate.maxSurge", 7),  # absent: falls back to `spec:`
        ("spec.template.spec.containers[3].name", 17),  # no such item: the list's line
        ("metadata.labels[app.kubernetes.io/name]", 6),
        ("spec.selector.matchLabels[app]", 11),  # field.Path.Key spelling of `app:`
        ("nothing.here", 1),  # the document's first line
        ("", 1),
    ],
    ids=["exact", "absent-child", "absent-index", "bracket-key", "key-spelling", "unknown-top",
         "document"],
)
def test_line_for_walks_up_to_the_nearest_known_ancestor(field, line):
    [manifest] = load_manifests(DEPLOYMENT)
    assert line_for(manifest.lines, field) == line


def test_line_for_without_lines_is_none():
    assert line_for({}, "spec.replicas") is None


def test_attach_lines_keeps_lines_already_set():
    [manifest] = load_manifests(DEPLOYMENT)
    errors = attach_lines(
        [FieldError("spec.replicas", "m"), FieldError("spec.selector", "m", line=99)], manifest.lines
    )
    assert [e.line for e in errors] == [8, 99]


def test_several_documents_and_empty_ones_skipped():
    text = "---\n" + DEPLOYMENT + "---\n---\n# only a comment\n---\napiVersion: v1\nkind: X\n"
    manifests = load_manifests(text)
    assert [m.obj["kind"] for m in manifests] == ["Deployment", "X"]
    assert manifests[1].lines[""] == 29
    assert manifests[1].lines["kind"] == 30


def test_dicts_pass_through_with_empty_line_maps_and_are_copied():
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 1}}
    [manifest] = load_manifests(obj)
    assert manifest == Manifest(obj, {})
    manifest.obj["spec"]["replicas"] = 5
    assert obj["spec"]["replicas"] == 1
    assert [m.obj for m in load_manifests([obj, obj])] == [obj, obj]


def test_bytes_are_read_as_utf8():
    [manifest] = load_manifests("kind: Deployment\nmetadata: {name: wéb}\n".encode())
    assert manifest.obj["metadata"]["name"] == "wéb"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("created: 2021-10-11\n", {"created": "2021-10-11"}),
        ("true: 1\n1: 2\n~: 3\n", {"true": 1, "1": 2, "null": 3}),
        ("enabled: on\nmode: 0755\n", {"enabled": True, "mode": 493}),
        ("s: !!set {a, b}\n", {"s": {"a": None, "b": None}}),
    ],
    ids=["timestamp-stays-text", "keys-become-json-strings", "yaml-1.1-scalars", "set"],
)
def test_values_are_json_like_as_kubectl_converts_them(text, expected):
    [manifest] = load_manifests(text)
    assert manifest.obj == expected


def _refusal(source) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        load_manifests(source)
    [error] = info.value.errors
    assert error.field == ""
    return info.value


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("a: b: c\n", 1, "mapping values are not allowed here"),
        ("spec:\n\treplicas: 1\n", 2, "found character '\\t' that cannot start any token"),
        ("a: [1, 2\n", 2, "expected ',' or ']'"),
        ("a: 'x\n", 2, "found unexpected end of stream"),
        ("replicas: 1\nreplicas: 3\n", 2, 'key "replicas" already set in map'),
        ("a: \x00\n", 1, "control characters are not allowed"),
    ],
    ids=["mapping-in-scalar", "tab-indent", "unclosed-flow", "unclosed-quote", "duplicate-key",
         "control-char"],
)
def test_syntax_errors_carry_line_and_problem(text, line, words):
    error = _refusal(text)
    assert error.errors[0].line == line
    assert words in error.errors[0].message
    assert str(error).startswith("error: error parsing STDIN: error converting YAML to JSON: yaml: ")
    assert f"line {line}: " in str(error)


def test_too_large_is_refused_before_parsing():
    text = "a: " + "x" * MAX_MANIFEST_BYTES + "\n"
    error = _refusal(text)
    assert error.errors[0].line == 1
    assert str(MAX_MANIFEST_BYTES) in str(error)
    _refusal(text.encode())


def test_exactly_at_the_size_cap_is_read():
    text = "a: " + "x" * (MAX_MANIFEST_BYTES - 5) + "\n"
    assert len(text.encode()) <= MAX_MANIFEST_BYTES
    assert load_manifests(text)[0].obj["a"].startswith("xxx")


@pytest.mark.parametrize(
    "text, line",
    [
        ("[" * 30000, 1),  # crashes libyaml; refused here without recursion
        ("a:\n" + "".join(" " * (i + 1) + "b:\n" for i in range(MAX_DEPTH + 5)), MAX_DEPTH + 1),
        ("- " * 1000 + "x\n", 1),
    ],
    ids=["flow-brackets", "block-mappings", "block-sequences"],
)
def test_deep_nesting_is_refused(text, line):
    error = _refusal(text)
    assert "nesting deeper than" in error.errors[0].message
    assert error.errors[0].line == line


def test_nesting_at_the_limit_is_read():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_manifests("a: " + text[1:-1] + "\n")


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


@pytest.mark.parametrize(
    "text, line",
    [(BILLION_LAUGHS, 2), ("base: &b {x: 1}\nother:\n  <<: *b\n", 3)],
    ids=["billion-laughs", "merge-key-alias"],
)
def test_aliases_are_refused(text, line):
    error = _refusal(text)
    assert "aliases" in error.errors[0].message
    assert error.errors[0].line == line


@pytest.mark.parametrize(
    "source, words",
    [
        ("- a\n- b\n", "is an array"),
        ("just text\n", "is a string"),
        ("42\n", "is a number"),
        ("kind: A\n---\n- x\n", "at line 3 is an array"),
    ],
    ids=["list", "string", "number", "second-document"],
)
def test_documents_that_are_not_mappings_are_refused(source, words):
    error = _refusal(source)
    assert words in error.errors[0].message
    assert str(error).startswith("error: unable to decode STDIN: ")


def test_list_input_with_a_non_dict_is_refused():
    _refusal([{"kind": "A"}, "text"])


def test_too_many_values_are_refused_early():
    # Parsing is pure Python; a manifest of small values up to the byte cap would take seconds.
    item = "- {name: web, image: nginx}\n"
    error = _refusal("items:\n" + item * (MAX_NODES // 4))
    assert f"more than {MAX_NODES} values" in error.errors[0].message
    assert load_manifests("items:\n" + item * 100)


def test_too_many_documents_are_refused():
    error = _refusal("---\na: 1\n" * 60)
    assert "documents" in error.errors[0].message


def test_invalid_utf8_is_refused_with_its_line():
    error = _refusal(b"a: 1\nb: \xff\n")
    assert error.errors[0].line == 2


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_YAML_ALPHABET = st.sampled_from(list("ab:-[]{}&*!|>'\"#%@`,?\t\n ") + ["  ", "---\n", "\n- "])


@settings(max_examples=400, deadline=None)
@given(st.lists(_YAML_ALPHABET | st.text(max_size=3), max_size=40).map("".join))
def test_any_text_gives_manifests_or_a_validation_error(text):
    try:
        manifests = load_manifests(text)
    except ValidationError as error:
        assert error.errors[0].field == "" and str(error)
    else:
        assert all(isinstance(m.obj, dict) and m.lines[""] >= 1 for m in manifests)

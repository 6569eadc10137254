"""Label and field selectors: cases ported from apimachinery's pkg/labels/selector_test.go,
pkg/fields/selector_test.go and metav1 helpers_test.go, plus the field label conversions of
pkg/apis/core/v1/conversion.go and the registries' selectable fields."""
import pytest

from simulator.api.selectors import (
    DOES_NOT_EXIST,
    DOUBLE_EQUALS,
    EQUALS,
    EXISTS,
    GREATER_THAN,
    IN,
    LESS_THAN,
    NOT_EQUALS,
    NOT_IN,
    FieldSelector,
    FieldTerm,
    LabelSelector,
    Requirement,
    SelectorError,
    escape_field_value,
    format_label_selector,
    format_labels,
    label_selector_as_selector,
    new_requirement,
    parse_field_selector,
    parse_label_selector,
    selectable_fields,
    unescape_field_value,
)

# --- labels: TestSelectorParse ----------------------------------------------------------------

GOOD = ["x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5"]


@pytest.mark.parametrize("text", GOOD)
def test_parse_round_trips_without_spaces(text):
    assert str(parse_label_selector(text)) == text.replace(" ", "")


BAD = [
    ("or-operator", "x=a||y=b", 'unable to parse requirement: values[0][x]: Invalid value: '
                                '"a||y": a valid label must be an empty string or consist of '
                                "alphanumeric characters, '-', '_' or '.', and must start and end "
                                "with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
                                "or '12345', regex used for validation is "
                                "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
    ("chained-equals", "x==a==b", "found '==', expected: ',' or 'end of string'"),
    ("not-with-value", "!x=a", "found '=', expected: ',' or 'end of string'"),
    ("lt-not-integer", "x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": for "
                              "'Gt', 'Lt' operators, the value must be an integer"),
    ("empty-term", "x,,y", "found ',', expected: identifier after ','"),
    ("leading-comma", ",x,y", "found ',', expected: !, identifier, or 'end of string'"),
    ("unknown-operator", "x nott in (y)",
     "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"),
    ("trailing-comma", "a in (xyz),", "found '', expected: identifier after ','"),
    ("no-comma-between", "a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'"),
    ("no-comma-in-set", "a in (xyz abc)",
     "unable to parse requirement: found 'abc', expected: ',' or ')'"),
    ("unclosed", "a notin(",
     "unable to parse requirement: found '', expected: ',', ')' or identifier"),
    ("paren-as-operator", "a (",
     "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"),
    ("open-paren", "(", "found '(', expected: !, identifier, or 'end of string'"),
    ("exists-as-operator", "x exists",
     "unable to parse requirement: found 'exists', expected: in, notin, =, ==, !=, gt, lt"),
    ("bad-key", "-x", "unable to parse requirement: <nil>: Invalid value: \"-x\": name part must "
                      "consist of alphanumeric characters, '-', '_' or '.', and must start and "
                      "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                      "'123-abc', regex used for validation is "
                      "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"),
    ("value-too-long", "x=" + "a" * 64, 'unable to parse requirement: values[0][x]: Invalid '
                                        f'value: "{"a" * 64}": must be no more than 63 '
                                        "characters"),
    ("set-without-paren", "x in y", "unable to parse requirement: found 'y' expected: '('"),
]


@pytest.mark.parametrize("text,message", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_parse_errors_are_worded_as_apimachinery(text, message):
    with pytest.raises(SelectorError) as raised:
        parse_label_selector(text)
    assert str(raised.value) == message


# --- labels: TestSetSelectorParser --------------------------------------------------------------

def req(key, op, *values):
    return Requirement(key, op, tuple(values))


PARSED = [
    ("empty", "", ()),
    ("carriage-return", "\rx", (req("x", EXISTS),)),
    ("dns-key", "this-is-a-dns.domain.com/key-with-dash",
     (req("this-is-a-dns.domain.com/key-with-dash", EXISTS),)),
    ("dns-key-in", "this-is-another-dns.domain.com/key-with-dash in (so,what)",
     (req("this-is-another-dns.domain.com/key-with-dash", IN, "so", "what"),)),
    ("notin-values", "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
     (req("0.1.2.domain/99", NOT_IN, "10.10.100.1", "tick.tack.clock"),)),
    ("tabs", "foo  in\t (abc)", (req("foo", IN, "abc"),)),
    ("newline", "x notin\n (abc)", (req("x", NOT_IN, "abc"),)),
    ("set", "x in (abc,def)", (req("x", IN, "abc", "def"),)),
    ("trailing-empty", "x in (abc,)", (req("x", IN, "", "abc"),)),
    ("dedup", "x in (abc,abc)", (req("x", IN, "abc"),)),
    ("empty-set", "x in ()", (req("x", IN, ""),)),
    ("double-comma", "x in (a,,)", (req("x", IN, "", "a"),)),
    ("many-commas", "x in (a,,,,,,)", (req("x", IN, "", "a"),)),
    ("interleaved", "x in (a,,a,,a,,a,,)", (req("x", IN, "", "a"),)),
    ("mixed", "x notin (abc,,def),bar,z in (),w",
     (req("bar", EXISTS), req("w", EXISTS), req("x", NOT_IN, "", "abc", "def"),
      req("z", IN, ""))),
    ("sorted-by-key", "x,y in (a)", (req("x", EXISTS), req("y", IN, "a"))),
    ("equals", "x=a", (req("x", EQUALS, "a"),)),
    ("double-equals", "x==a", (req("x", DOUBLE_EQUALS, "a"),)),
    ("gt", "x>1", (req("x", GREATER_THAN, "1"),)),
    ("lt", "x<7", (req("x", LESS_THAN, "7"),)),
    ("equals-not-equals", "x=a,y!=b", (req("x", EQUALS, "a"), req("y", NOT_EQUALS, "b"))),
    ("three", "x=a,y!=b,z in (h,i,j)",
     (req("x", EQUALS, "a"), req("y", NOT_EQUALS, "b"), req("z", IN, "h", "i", "j"))),
    ("notin-space", "x notin ( )", (req("x", NOT_IN, ""),)),
    ("notin-leading-comma", "x notin (, a)", (req("x", NOT_IN, "", "a"),)),
    ("trailing-space", "a ", (req("a", EXISTS),)),
    ("keywords-as-values", "a in (x,y,notin, z,in)", (req("a", IN, "in", "notin", "x", "y", "z"),)),
    ("not", "!x", (req("x", DOES_NOT_EXIST),)),
]


@pytest.mark.parametrize("text,requirements", [c[1:] for c in PARSED], ids=[c[0] for c in PARSED])
def test_parse_builds_sorted_requirements(text, requirements):
    assert parse_label_selector(text) == LabelSelector(requirements)


# --- labels: TestSelectorMatches / TestRequirementSelectorMatching ------------------------------

MATCHES = [
    ("", {"x": "y"}, True), ("x=y", {"x": "y"}, True), ("x=y,z=w", {"x": "y", "z": "w"}, True),
    ("x!=y,z!=w", {"x": "z", "z": "a"}, True), ("notin=in", {"notin": "in"}, True),
    ("x", {"x": "z"}, True), ("!x", {"y": "z"}, True), ("x>1", {"x": "2"}, True),
    ("x<1", {"x": "0"}, True),
    ("x=z", {}, False), ("x=y", {"x": "z"}, False), ("x=y,z=w", {"x": "w", "z": "w"}, False),
    ("x!=y,z!=w", {"x": "z", "z": "w"}, False), ("x", {"y": "z"}, False),
    ("!x", {"x": "z"}, False), ("x>1", {"x": "0"}, False), ("x<1", {"x": "2"}, False),
    ("foo=bar,baz=blah", {"foo": "bar", "baz": "blah"}, True),
    ("foo=blah", {"foo": "bar", "baz": "blah"}, False),
    ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}, False),
    ("x in (foo),y notin (alpha)", {"x": "foo", "y": "baz"}, True),
    ("x in (foo),y in (alpha)", {"x": "foo", "y": "baz"}, False),
    ("x notin (),y", {"y": ""}, True), ("!x,y", {"y": ""}, True), ("x notin (),!y", {"y": ""}, False),
    ("x in ()", {"y": "baz"}, False), ("z>1", {"z": "2"}, True), ("z>1", {"z": "v2"}, False),
]


@pytest.mark.parametrize("text,labels,match", MATCHES,
                         ids=[f"{c[0] or 'empty'}|{c[1]}" for c in MATCHES])
def test_matches(text, labels, match):
    assert parse_label_selector(text).matches(labels) is match


def test_matches_accepts_absent_labels():
    assert parse_label_selector("").matches(None)
    assert not parse_label_selector("app").matches(None)


# --- labels: TestRequirementConstructor -----------------------------------------------------------

CONSTRUCTOR_ERRORS = [
    ("in-empty", "x1", IN, [], "values: Invalid value: []: for 'in', 'notin' operators, values "
                                "set can't be empty"),
    ("in-nil", "x2", NOT_IN, None, "values: Invalid value: null: for 'in', 'notin' operators, "
                                   "values set can't be empty"),
    ("equals-two", "x5", EQUALS, ["bar", "foo"], 'values: Invalid value: ["bar","foo"]: '
                                                 "exact-match compatibility requires one single "
                                                 "value"),
    ("exists-value", "x8", EXISTS, ["foo"], 'values: Invalid value: ["foo"]: values set must be '
                                            "empty for exists and does not exist"),
    ("gt-none", "x13", GREATER_THAN, [], "values: Invalid value: []: for 'Gt', 'Lt' operators, "
                                         "exactly one value is required"),
    ("gt-not-int", "x14", GREATER_THAN, ["bar"], 'values[0]: Invalid value: "bar": for \'Gt\', '
                                                 "'Lt' operators, the value must be an integer"),
    ("lt-not-int", "x15", LESS_THAN, ["bar"], 'values[0]: Invalid value: "bar": for \'Gt\', '
                                              "'Lt' operators, the value must be an integer"),
    ("key-too-long", "a" * 254, EXISTS, [],
     f'key: Invalid value: "{"a" * 254}": name part must be no more than 63 characters'),
    ("value-too-long", "x16", EQUALS, ["a" * 254],
     f'values[0][x16]: Invalid value: "{"a" * 254}": must be no more than 63 characters'),
    ("value-space", "x17", EQUALS, ["a b"], "values[0][x17]: Invalid value: \"a b\": a valid label "
                                            "must be an empty string or consist of alphanumeric "
                                            "characters, '-', '_' or '.', and must start and end "
                                            "with an alphanumeric character (e.g. 'MyValue',  or "
                                            "'my_value',  or '12345', regex used for validation "
                                            "is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
    ("unsupported-operator", "x18", "unsupportedOp", [],
     'operator: Unsupported value: "unsupportedOp": supported values: "in", "notin", "=", "==", '
     '"!=", "gt", "lt", "exists", "!"'),
    ("two-problems", "x19", IN, ["a b"], None),
]


@pytest.mark.parametrize("key,op,values,message", [c[1:] for c in CONSTRUCTOR_ERRORS],
                         ids=[c[0] for c in CONSTRUCTOR_ERRORS])
def test_new_requirement_errors(key, op, values, message):
    with pytest.raises(SelectorError) as raised:
        new_requirement(key, op, values)
    if message is not None:
        assert str(raised.value) == message


def test_new_requirement_several_problems_are_aggregated():
    with pytest.raises(SelectorError) as raised:
        new_requirement("-k", IN, [])
    text = str(raised.value)
    assert text.startswith('[key: Invalid value: "-k": name part must consist')
    assert text.endswith(", values: Invalid value: []: for 'in', 'notin' operators, values set "
                         "can't be empty]")


@pytest.mark.parametrize("key,op,values", [
    ("x3", IN, ["foo"]), ("x4", NOT_IN, ["foo"]), ("x6", EXISTS, []), ("x7", DOES_NOT_EXIST, []),
    ("x11", GREATER_THAN, ["1"]), ("x12", LESS_THAN, ["6"]),
])
def test_new_requirement_accepts(key, op, values):
    assert new_requirement(key, op, values) == Requirement(key, op, tuple(values))


# --- labels: TestToString ---------------------------------------------------------------------

TO_STRING = [
    ((req("x", IN, "abc", "def"), req("y", NOT_IN, "jkl"), req("z", EXISTS)),
     "x in (abc,def),y notin (jkl),z"),
    ((req("x", NOT_IN, "abc", "def"), req("y", NOT_EQUALS, "jkl"), req("z", DOES_NOT_EXIST)),
     "x notin (abc,def),y!=jkl,!z"),
    ((req("x", NOT_IN, "abc"), req("y", IN, "jkl", "mno"), req("z", NOT_IN, "")),
     "x notin (abc),y in (jkl,mno),z notin ()"),
    ((req("x", EQUALS, "abc"), req("y", DOUBLE_EQUALS, "jkl"), req("z", NOT_EQUALS, "a"),
      req("z", EXISTS)), "x=abc,y==jkl,z!=a,z"),
    ((req("x", GREATER_THAN, "2"), req("y", LESS_THAN, "8"), req("z", EXISTS)), "x>2,y<8,z"),
    ((req("x", IN, "def", "abc"),), "x in (abc,def)"),  # values sorted only when printed
]


@pytest.mark.parametrize("requirements,text", TO_STRING, ids=[c[1] for c in TO_STRING])
def test_to_string(requirements, text):
    assert str(LabelSelector(requirements)) == text


# --- metav1.LabelSelectorAsSelector / FormatLabelSelector ------------------------------------------

AS_SELECTOR = [
    ("nil-selects-nothing", None, "", {"a": "b"}, False),
    ("empty-selects-everything", {}, "", {"a": "b"}, True),
    ("match-labels", {"matchLabels": {"app": "web", "tier": "fe"}}, "app=web,tier=fe",
     {"app": "web", "tier": "fe", "x": "y"}, True),
    ("match-expressions", {"matchExpressions": [
        {"key": "env", "operator": "In", "values": ["prod", "dev"]},
        {"key": "canary", "operator": "DoesNotExist"},
        {"key": "app", "operator": "Exists"},
        {"key": "tier", "operator": "NotIn", "values": ["db"]}]},
     "app,!canary,env in (dev,prod),tier notin (db)", {"app": "x", "env": "dev"}, True),
    ("labels-differ", {"matchLabels": {"a": "b"}}, "a=b", {"a": "c"}, False),
    ("notin-absent", {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["b"]}]},
     "a notin (b)", {}, True),
    ("exists-empty-value", {"matchExpressions": [{"key": "a", "operator": "Exists"}]}, "a",
     {"a": ""}, True),
    ("does-not-exist-present", {"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]},
     "!a", {"a": ""}, False),
    ("mixed-sorted-by-key", {"matchLabels": {"b": "1"},
                             "matchExpressions": [{"key": "a", "operator": "Exists"}]},
     "a,b=1", {"b": "1"}, False),
]


@pytest.mark.parametrize("selector,text,labels,match", [c[1:] for c in AS_SELECTOR],
                         ids=[c[0] for c in AS_SELECTOR])
def test_label_selector_as_selector(selector, text, labels, match):
    converted = label_selector_as_selector(selector)
    assert (str(converted), converted.matches(labels)) == (text, match)


def test_label_selector_bad_operator():
    with pytest.raises(SelectorError, match='^"Has" is not a valid label selector operator$'):
        label_selector_as_selector({"matchExpressions": [{"key": "a", "operator": "Has"}]})


def test_label_selector_in_without_values():
    with pytest.raises(SelectorError, match="values: Invalid value: null"):
        label_selector_as_selector({"matchExpressions": [{"key": "a", "operator": "In"}]})


@pytest.mark.parametrize("selector,text", [
    (None, "<none>"), ({}, "<none>"),
    ({"matchLabels": {"app": "web", "pod-template-hash": "788bd89646"}},
     "app=web,pod-template-hash=788bd89646"),
    ({"matchExpressions": [{"key": "a", "operator": "Bad"}]}, "<error>"),
], ids=["nil", "empty", "labels", "error"])
def test_format_label_selector(selector, text):
    assert format_label_selector(selector) == text


@pytest.mark.parametrize("labels,text", [(None, "<none>"), ({}, "<none>"),
                                         ({"b": "2", "a": "1"}, "a=1,b=2")])
def test_format_labels(labels, text):
    assert format_labels(labels) == text


# --- fields: TestSplitTerms / TestSplitTerm through the parser ----------------------------------

FIELD_PARSED = [
    ("simple", "a=avalue", (FieldTerm("a", "=", "avalue"),)),
    ("three-operators", "a=avalue,b==bvalue,c!=cvalue",
     (FieldTerm("a", "=", "avalue"), FieldTerm("b", "=", "bvalue"), FieldTerm("c", "!=", "cvalue"))),
    ("empty", "", ()),
    ("trailing-comma", "a=a,", (FieldTerm("a", "=", "a"),)),
    ("leading-comma", ",a=a", (FieldTerm("a", "=", "a"),)),
    # terms are sorted as raw text: "k2=..." before "k=..."
    ("escaped-comma", r"k=\,,k2=v2", (FieldTerm("k2", "=", "v2"), FieldTerm("k", "=", ","))),
    ("escaped-backslash", r"k=\\,k2=v2", (FieldTerm("k2", "=", "v2"), FieldTerm("k", "=", "\\"))),
    ("both-escaped", r"k=\\\,,k2=v2", (FieldTerm("k2", "=", "v2"), FieldTerm("k", "=", "\\,"))),
    ("escaped-equals", r"k=\=", (FieldTerm("k", "=", "="),)),
    ("multi-byte", "함=수,목=록", (FieldTerm("목", "=", "록"), FieldTerm("함", "=", "수"))),
    ("sorted", "z=1,a=2", (FieldTerm("a", "=", "2"), FieldTerm("z", "=", "1"))),
]


@pytest.mark.parametrize("text,terms", [c[1:] for c in FIELD_PARSED], ids=[c[0] for c in FIELD_PARSED])
def test_field_selector_parse(text, terms):
    assert parse_field_selector(text) == FieldSelector(terms)


@pytest.mark.parametrize("text", ["x=a,y=b,z=c", "", "x!=a,y=b", r"x=a||y\=b", r"x=a\=\=b"])
def test_field_selector_round_trips(text):
    assert str(parse_field_selector(text)) == text


FIELD_BAD = [
    ("unescaped-equals", "x=a||y=b", "invalid field selector: unescaped character in value: 61"),
    ("chained-equals", "x==a==b", "invalid field selector: unescaped character in value: 61"),
    ("bare-term", "x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'"),
    ("set-syntax", "x in (a)", "invalid selector: 'x in (a)'; can't understand 'x in (a)'"),
    ("set-syntax-many", "x in (a,b,c)", "invalid selector: 'x in (a,b,c)'; can't understand 'b'"),
    ("no-operator", "x", "invalid selector: 'x'; can't understand 'x'"),
    ("orphan-backslash", "k=\\", "invalid field selector: invalid escape sequence: \\"),
    ("unknown-escape", r"k=\a\b", "invalid field selector: invalid escape sequence: \\a"),
]


@pytest.mark.parametrize("text,message", [c[1:] for c in FIELD_BAD], ids=[c[0] for c in FIELD_BAD])
def test_field_selector_errors(text, message):
    with pytest.raises(SelectorError) as raised:
        parse_field_selector(text)
    assert str(raised.value) == message


ESCAPES = [("", ""), ("a", "a"), ("=", r"\="), (",", r"\,"), ("\\", "\\\\"),
           (r"\=\,\ ".strip(), r"\\\=\\\,\\")]


@pytest.mark.parametrize("raw,escaped", ESCAPES)
def test_escape_round_trip(raw, escaped):
    assert escape_field_value(raw) == escaped
    assert unescape_field_value(escaped) == raw


FIELD_MATCHES = [
    ("", {"x": "y"}, True), ("x=y", {"x": "y"}, True), ("x=y,z=w", {"x": "y", "z": "w"}, True),
    ("x!=y,z!=w", {"x": "z", "z": "a"}, True), ("notin=in", {"notin": "in"}, True),
    ("x=y", {"x": "z"}, False), ("x=y,z=w", {"x": "w", "z": "w"}, False),
    ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
    (r"foo=bar,baz=blah,complex=\=value\\\,\\",
     {"foo": "bar", "baz": "blah", "complex": "=value\\,\\"}, True),
    ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}, False),
    ("missing=", {}, True), ("missing!=", {}, False),
]


@pytest.mark.parametrize("text,fields,match", FIELD_MATCHES,
                         ids=[f"{c[0] or 'empty'}|{c[1]}" for c in FIELD_MATCHES])
def test_field_selector_matches(text, fields, match):
    assert parse_field_selector(text).matches(fields) is match


# --- fields: what each kind accepts (pkg/apis/core/v1/conversion.go) --------------------------------

CONVERSIONS = [
    ("pod-node", "Pod", "spec.nodeName=node-2", None),
    ("pod-phase-and-ip", "Pod", "status.phase=Running,status.podIP=10.0.0.1", None),
    ("pod-unknown", "Pod", "spec.containers=x", "field label not supported: spec.containers"),
    ("node-unschedulable", "Node", "spec.unschedulable=true", None),
    ("node-no-namespace", "Node", "metadata.namespace=default",
     "field label not supported: metadata.namespace"),
    ("event-describe", "Event", "involvedObject.name=web,involvedObject.namespace=default,"
                                "involvedObject.kind=Deployment,involvedObject.uid=u", None),
    ("event-source", "Event", "source=kubelet,type=Warning,reason=BackOff", None),
    ("event-unknown", "Event", "message=x", "field label not supported: message"),
    ("namespace-phase", "Namespace", "status.phase=Active", None),
    ("service-type", "Service", "spec.type=ClusterIP,spec.clusterIP=10.96.0.1", None),
    ("deployment-name", "Deployment", "metadata.name=web", None),
    ("deployment-other", "Deployment", "spec.replicas=3",
     '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    ("replicaset-status", "ReplicaSet", "status.replicas=0",
     '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    ("first-error-in-sorted-order", "Pod", "z.field=1,a.field=2",
     "field label not supported: a.field"),
]


@pytest.mark.parametrize("kind,text,error", [c[1:] for c in CONVERSIONS],
                         ids=[c[0] for c in CONVERSIONS])
def test_field_labels_each_kind_supports(kind, text, error):
    if error is None:
        assert str(parse_field_selector(text, kind)) == str(parse_field_selector(text))
    else:
        with pytest.raises(SelectorError) as raised:
            parse_field_selector(text, kind)
        assert str(raised.value) == error


def test_old_spec_host_label_means_node_name():
    assert parse_field_selector("spec.host=n1", "Pod") == FieldSelector(
        (FieldTerm("spec.nodeName", "=", "n1"),))


POD = {"kind": "Pod", "metadata": {"name": "web-1", "namespace": "default"},
       "spec": {"nodeName": "node-2", "restartPolicy": "Always",
                "schedulerName": "default-scheduler"},
       "status": {"phase": "Running", "podIPs": [{"ip": "10.244.2.3"}, {"ip": "fd00::3"}]}}
EVENT = {"kind": "Event", "metadata": {"name": "web.1", "namespace": "default"},
         "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "default",
                            "uid": "u-1", "apiVersion": "apps/v1"},
         "reason": "ScalingReplicaSet", "type": "Normal", "reportingComponent": "",
         "source": {"component": "deployment-controller"}}

SELECTABLE = [
    ("pod", POD, {"metadata.name": "web-1", "metadata.namespace": "default",
                  "spec.nodeName": "node-2", "spec.restartPolicy": "Always",
                  "spec.schedulerName": "default-scheduler", "spec.serviceAccountName": "",
                  "spec.hostNetwork": "false", "status.phase": "Running",
                  "status.podIP": "10.244.2.3", "status.nominatedNodeName": ""}),
    ("node", {"kind": "Node", "metadata": {"name": "node-1"}, "spec": {"unschedulable": True}},
     {"metadata.name": "node-1", "spec.unschedulable": "true"}),
    ("uncordoned-node", {"kind": "Node", "metadata": {"name": "node-1"}, "spec": {}},
     {"metadata.name": "node-1", "spec.unschedulable": "false"}),
    ("event", EVENT, {"metadata.name": "web.1", "metadata.namespace": "default",
                      "involvedObject.kind": "Deployment", "involvedObject.namespace": "default",
                      "involvedObject.name": "web", "involvedObject.uid": "u-1",
                      "involvedObject.apiVersion": "apps/v1", "involvedObject.resourceVersion": "",
                      "involvedObject.fieldPath": "", "reason": "ScalingReplicaSet",
                      "reportingComponent": "", "source": "deployment-controller",
                      "type": "Normal"}),
    ("event-reporting-controller", {"kind": "Event", "metadata": {"name": "e"},
                                    "reportingComponent": "kubelet"},
     {"metadata.name": "e", "metadata.namespace": "", "involvedObject.kind": "",
      "involvedObject.namespace": "", "involvedObject.name": "", "involvedObject.uid": "",
      "involvedObject.apiVersion": "", "involvedObject.resourceVersion": "",
      "involvedObject.fieldPath": "", "reason": "", "reportingComponent": "kubelet",
      "source": "kubelet", "type": ""}),
    ("namespace", {"kind": "Namespace", "metadata": {"name": "default"},
                   "status": {"phase": "Active"}},
     {"metadata.name": "default", "status.phase": "Active"}),
    ("service", {"kind": "Service", "metadata": {"name": "web", "namespace": "default"},
                 "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10"}},
     {"metadata.name": "web", "metadata.namespace": "default", "spec.clusterIP": "10.96.0.10",
      "spec.type": "ClusterIP"}),
    ("deployment", {"kind": "Deployment", "metadata": {"name": "web", "namespace": "default"}},
     {"metadata.name": "web", "metadata.namespace": "default"}),
]


@pytest.mark.parametrize("obj,fields", [c[1:] for c in SELECTABLE], ids=[c[0] for c in SELECTABLE])
def test_selectable_fields(obj, fields):
    assert selectable_fields(obj) == fields


def test_kubectl_describe_event_query_selects_the_deployments_events():
    """requests.md 22-describe: the field selector kubectl sends for a Deployment's events."""
    selector = parse_field_selector("involvedObject.name=web,involvedObject.namespace=default,"
                                    "involvedObject.kind=Deployment,involvedObject.uid=u-1",
                                    "Event")
    assert selector.matches(selectable_fields(EVENT))
    other = {**EVENT, "involvedObject": {**EVENT["involvedObject"], "uid": "u-2"}}
    assert not selector.matches(selectable_fields(other))


def test_drain_query_selects_the_nodes_pods():
    selector = parse_field_selector("spec.nodeName=node-2", "Pod")
    assert selector.matches(selectable_fields(POD))
    assert not parse_field_selector("spec.nodeName=node-1", "Pod").matches(selectable_fields(POD))

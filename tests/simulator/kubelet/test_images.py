"""The image-behaviour catalogue and the rolloutviz.dev/v1 ImageBehavior kind."""

import pathlib
import re

import pytest

from simulator.api.yaml_source import load_manifests
from simulator.errors import ValidationError
from simulator.kubelet.images import (
    BUILTIN_IMAGES,
    IMAGE_BEHAVIOR_API_VERSION,
    IMAGE_BEHAVIOR_KIND,
    ImageBehavior,
    ImageCatalogue,
    normalize_reference,
    parse_image_behavior,
)

# Every image the seed tutorials name, in `image:` lines, `kubectl set image` commands and
# describe output (`nginx:1.91`), plus seed 004's FastAPI app (dejan1998/k8s-rollout-demo).
SEED_IMAGES = [
    "guangzhengli/hellok8s:v1", "guangzhengli/hellok8s:v2", "guangzhengli/hellok8s:liveness",
    "guangzhengli/hellok8s:bad", "nginx:1.14.2", "nginx:1.16.1", "nginx:1.161", "nginx:1.91",
    "nginx:sometag", "qinchaowhut/allen:v1", "qinchaowhut/allen:v2",
    "dejan1998/k8s-rollout-demo:v0.1", "dejan1998/k8s-rollout-demo:v0.2",
]
SEEDS = pathlib.Path(__file__).resolve().parents[4] / "shared" / "seeds"


@pytest.mark.parametrize("image", SEED_IMAGES, ids=SEED_IMAGES)
def test_every_seed_image_is_built_in(image):
    assert image in BUILTIN_IMAGES
    assert BUILTIN_IMAGES[image].description


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed tutorials are not next to this checkout")
def test_the_seed_list_is_complete():
    found = set()
    for path in SEEDS.glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"image: *([\w./-]+:[\w.-]+)", text))
        found |= set(re.findall(r"set image \S+ \S+ \w+=([\w./-]+:[\w.-]+)", text))
        found |= set(re.findall(r"Image: *([\w./-]+:[\w.-]+)", text))
    assert found and found <= set(SEED_IMAGES)


def lookup(image):
    return ImageCatalogue().lookup(image)


@pytest.mark.parametrize(
    "uptime, status",
    [(0.0, None), (0.5, 200), (10.0, 200), (14.9, 200), (15.0, 500), (300.0, 500)],
    ids=["not-listening-yet", "listening", "healthy", "just-before-15s", "from-15s", "later"],
)
def test_hellok8s_liveness_healthz_fails_after_15_seconds(uptime, status):
    assert lookup("guangzhengli/hellok8s:liveness").http_status(3000, "/healthz", uptime) == status


@pytest.mark.parametrize(
    "image, port, path, uptime, status",
    [
        ("guangzhengli/hellok8s:bad", 3000, "/healthz", 1, 500),
        ("guangzhengli/hellok8s:bad", 3000, "/healthz", 600, 500),
        ("guangzhengli/hellok8s:bad", 3000, "/", 1, 200),
        ("guangzhengli/hellok8s:v1", 3000, "/anything", 1, 200),
        ("guangzhengli/hellok8s:v2", 3000, "/healthz", 100, 200),
        ("guangzhengli/hellok8s:v2", 8080, "/", 100, None),
        ("nginx:1.14.2", 80, "/", 1, 200),
        ("nginx:1.16.1", 80, "/index.html?x=1", 1, 200),
        ("nginx:1.16.1", 80, "/healthz", 1, 404),
        ("nginx:1.16.1", 8080, "/", 1, None),
        ("nginx:1.16.1", 80, "/", 0.1, None),
        ("qinchaowhut/allen:v1", 8080, "/", 2, 200),
        ("dejan1998/k8s-rollout-demo:v0.1", 8000, "/version", 14, None),
        ("dejan1998/k8s-rollout-demo:v0.1", 8000, "/version", 15, 200),
        ("dejan1998/k8s-rollout-demo:v0.1", 8000, "/", 20, 404),
    ],
    ids=["bad-healthz", "bad-healthz-later", "bad-root", "v1-any-path", "v2-healthz",
         "v2-wrong-port", "nginx-root", "nginx-query-ignored", "nginx-healthz-404",
         "nginx-wrong-port", "nginx-starting", "allen", "fastapi-starting", "fastapi-version",
         "fastapi-unknown-path"],
)
def test_builtin_http_answers(image, port, path, uptime, status):
    assert lookup(image).http_status(port, path, uptime) == status


def test_fastapi_version_answers_slowly_as_in_the_tutorial():
    v1, v2 = lookup("dejan1998/k8s-rollout-demo:v0.1"), lookup("dejan1998/k8s-rollout-demo:v0.2")
    assert v1.http_delay(8000, "/version", 20) == 15
    assert v2.http_delay(8000, "/version", 20) == 5
    assert v1.http_delay(8000, "/docs", 20) == 0
    assert not v1.tcp_open(8000, 14.9) and v1.tcp_open(8000, 15)


@pytest.mark.parametrize("image", ["nginx:1.161", "nginx:1.91", "nginx:sometag"])
def test_typo_tags_cannot_be_pulled(image):
    behavior = lookup(image)
    tag = image.split(":")[1]
    assert behavior.pull_error() == (
        f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and '
        f'unpack image "docker.io/library/nginx:{tag}": failed to resolve reference '
        f'"docker.io/library/nginx:{tag}": docker.io/library/nginx:{tag}: not found')
    assert 0 < behavior.pull_seconds() < 5


@pytest.mark.parametrize("image", [i for i in SEED_IMAGES if "1.161" not in i and "1.91" not in i
                                   and "sometag" not in i])
def test_good_seed_images_pull_in_a_few_seconds(image):
    behavior = lookup(image)
    assert behavior.pull_error() is None
    assert 1 <= behavior.pull_seconds() <= 6
    assert behavior.exit_after() is None


def test_unknown_images_get_the_healthy_default():
    behavior = lookup("example.com/team/app:3.1")
    assert behavior.image == "example.com/team/app:3.1"
    assert behavior.pull_error() is None and behavior.pull_seconds() == 1.5
    assert behavior.http_status(1234, "/anything", 0.5) is None  # still starting
    assert behavior.http_status(1234, "/anything", 1.0) == 200
    assert behavior.tcp_open(5432, 1.0)
    assert behavior.exec_exit_code(["cat", "/tmp/healthy"], 99) == 0
    assert behavior.exit_after() is None
    assert behavior.http_delay(80, "/", 5) == 0


@pytest.mark.parametrize(
    "image, reference",
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.14.2", "docker.io/library/nginx:1.14.2"),
        ("guangzhengli/hellok8s:v1", "docker.io/guangzhengli/hellok8s:v1"),
        ("quay.io/org/app", "quay.io/org/app:latest"),
        ("localhost:5000/app:1", "localhost:5000/app:1"),
        ("nginx@sha256:abc", "docker.io/library/nginx@sha256:abc"),
    ],
    ids=["official-untagged", "official", "user", "other-registry", "registry-port", "digest"],
)
def test_normalize_reference(image, reference):
    assert normalize_reference(image) == reference


def test_lookup_treats_spellings_of_one_image_alike_and_quotes_the_pods_spelling():
    behavior = lookup("docker.io/library/nginx:1.161")
    assert behavior.pull_error().startswith('Failed to pull image "docker.io/library/nginx:1.161"')
    assert lookup("nginx").description == BUILTIN_IMAGES["nginx:latest"].description


CUSTOM = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata:
  name: shop
spec:
  image: registry.example.com/shop:2.0
  description: slow to warm up, then flaky
  pull:
    seconds: 4
  startupSeconds: 8
  http:
  - port: 8080
    paths:
    - path: /ready
      responses:
      - fromSeconds: 0
        status: 503
      - fromSeconds: 20
        status: 200
      - fromSeconds: 60
        status: 200
        delaySeconds: 3
    otherPaths: 404
  tcp:
  - port: 9090
    openAfterSeconds: 30
  exec:
    commands:
    - command: [cat, /tmp/healthy]
      results:
      - {{fromSeconds: 0, exitCode: 0}}
      - {{fromSeconds: 30, exitCode: 1}}
    defaultExitCode: 126
  exit:
    afterSeconds: 90
    exitCode: 137
    reason: OOMKilled
  shutdownSeconds: 12
"""


def test_a_user_described_image_behaves_as_written():
    behavior = parse_image_behavior(load_manifests(CUSTOM)[1])
    assert behavior.pull_seconds() == 4 and behavior.pull_error() is None
    assert [behavior.http_status(8080, "/ready", t) for t in (7, 8, 19, 20, 61)] == [
        None, 503, 503, 200, 200]
    assert behavior.http_delay(8080, "/ready", 61) == 3
    assert behavior.http_status(8080, "/other", 10) == 404
    assert behavior.http_status(9090, "/", 40) is None  # TCP only: no HTTP there
    assert behavior.http_status(7070, "/", 40) is None  # not listening at all
    assert [behavior.tcp_open(9090, t) for t in (29, 30)] == [False, True]
    assert behavior.tcp_open(8080, 8) and not behavior.tcp_open(7070, 100)
    assert [behavior.exec_exit_code(["cat", "/tmp/healthy"], t) for t in (29, 30)] == [0, 1]
    assert behavior.exec_exit_code(["ls"], 1) == 126
    assert behavior.exit_after() == (90, 137, "OOMKilled")
    assert behavior.shutdown_seconds() == 12


@pytest.mark.parametrize(
    "exit_spec, expected",
    [({"afterSeconds": 0}, (0, 1, "Error")), ({"afterSeconds": 5, "exitCode": 0}, (5, 0, "Completed")),
     ({"exitCode": 2}, (0, 2, "Error"))],
    ids=["crash-at-once", "completes", "after-defaults-to-0"],
)
def test_exit_after(exit_spec, expected):
    behavior = ImageBehavior.from_dict({"image": "crash:1", "exit": exit_spec})
    assert behavior.exit_after() == expected


@pytest.mark.parametrize(
    "failure, words",
    [("AccessDenied", "pull access denied, repository does not exist or may require authorization"),
     ("RegistryUnreachable", "dial tcp: lookup registry.example.com: no such host")],
    ids=["access-denied", "unreachable"],
)
def test_pull_failures(failure, words):
    behavior = ImageBehavior.from_dict({"image": "registry.example.com/x:1",
                                        "pull": {"error": failure}})
    assert behavior.pull_error().startswith('Failed to pull image "registry.example.com/x:1": rpc error')
    assert words in behavior.pull_error()
    custom = ImageBehavior.from_dict({"image": "x:1", "pull": {"error": "NotFound",
                                                               "message": "manifest unknown"}})
    assert custom.pull_error() == 'Failed to pull image "x:1": manifest unknown'


def test_catalogue_custom_overrides_builtin_and_round_trips():
    catalogue = ImageCatalogue()
    mine = ImageBehavior.from_dict({"image": "nginx:1.14.2", "startupSeconds": 30})
    catalogue.add(mine)
    assert catalogue.lookup("docker.io/library/nginx:1.14.2").startup_time == 30
    again = ImageCatalogue.from_dict(catalogue.to_dict())
    assert again.lookup("nginx:1.14.2") == mine
    assert ImageCatalogue({"x": mine}).lookup("nginx:1.14.2") == mine


@pytest.mark.parametrize("image", sorted(BUILTIN_IMAGES), ids=sorted(BUILTIN_IMAGES))
def test_builtins_round_trip_through_dicts(image):
    behavior = BUILTIN_IMAGES[image]
    assert ImageBehavior.from_dict(behavior.to_dict()) == behavior


def test_custom_round_trips_through_dicts():
    behavior = parse_image_behavior(load_manifests(CUSTOM)[1])
    assert ImageBehavior.from_dict(behavior.to_dict()) == behavior


HTTP_RESPONSES = [
    ("hellok8s-v1", "guangzhengli/hellok8s:v1", 3000, "/", 1, (200, 0.0, "[v1] Hello, Kubernetes!")),
    ("hellok8s-v2-any-path", "guangzhengli/hellok8s:v2", 3000, "/x?y=1", 1,
     (200, 0.0, "[v2] Hello, Kubernetes!")),
    ("hellok8s-before-listening", "guangzhengli/hellok8s:v1", 3000, "/", 0.2, None),
    ("liveness-healthz", "guangzhengli/hellok8s:liveness", 3000, "/healthz", 16,
     (500, 0.0, "error")),
    ("liveness-root", "guangzhengli/hellok8s:liveness", 3000, "/", 16,
     (200, 0.0, "[v2] Hello, Kubernetes!")),
    ("rollout-demo-version", "dejan1998/k8s-rollout-demo:v0.2", 8000, "/version", 20,
     (200, 5.0, '"v0.2"')),
    ("rollout-demo-unknown", "dejan1998/k8s-rollout-demo:v0.1", 8000, "/", 20,
     (404, 0.0, '{"detail":"Not Found"}')),
    ("nginx-welcome", "nginx:1.16.1", 80, "/", 1, (200, 0.0, "Welcome to nginx!")),
    ("healthy-default", "example.com/unknown:1", 1234, "/", 2, (200, 0.0, None)),
]


@pytest.mark.parametrize("image,port,path,uptime,response", [c[1:] for c in HTTP_RESPONSES],
                         ids=[c[0] for c in HTTP_RESPONSES])
def test_http_responses_with_their_bodies(image, port, path, uptime, response):
    assert ImageCatalogue().lookup(image).http_response(port, path, uptime) == response


def test_bodies_and_serving_while_stopping_round_trip():
    text = (f"apiVersion: {IMAGE_BEHAVIOR_API_VERSION}\nkind: {IMAGE_BEHAVIOR_KIND}\n"
            "metadata: {name: b}\nspec:\n  image: b:1\n  servesWhileStopping: true\n"
            "  http:\n  - port: 80\n    otherPathsBody: ''\n    paths:\n    - path: /v\n"
            "      responses: [{fromSeconds: 0, status: 200, body: one},"
            " {fromSeconds: 5, status: 503}]\n")
    behavior = parse_image_behavior(load_manifests(text)[0])
    assert ImageBehavior.from_dict(behavior.to_dict()) == behavior
    assert behavior.listens_after_sigterm()
    assert [behavior.http_response(80, p, t) for p, t in (("/v", 1), ("/v", 6), ("/w", 1))] == [
        (200, 0.0, "one"), (503, 0.0, None), (200, 0.0, "")]


def _errors(spec_yaml: str):
    text = (f"apiVersion: {IMAGE_BEHAVIOR_API_VERSION}\nkind: {IMAGE_BEHAVIOR_KIND}\n"
            f"metadata:\n  name: bad\nspec:\n{spec_yaml}")
    with pytest.raises(ValidationError) as info:
        parse_image_behavior(load_manifests(text)[0])
    assert str(info.value).startswith('The ImageBehavior "bad" is invalid: ')
    return [(e.field, e.message, e.line) for e in info.value.errors]


@pytest.mark.parametrize(
    "spec_yaml, expected",
    [
        ("  description: no image\n", [("spec.image", "Required value", 5)]),
        ("  image: a:1\n  pul: {seconds: 2}\n", [("spec.pul", 'unknown field "spec.pul"', 7)]),
        ("  image: a:1\n  pull: {seconds: soon}\n",
         [("spec.pull.seconds", 'Invalid value: "soon": must be a number of seconds, 0 or more', 7)]),
        ("  image: a:1\n  pull: {error: Missing}\n",
         [("spec.pull.error", 'Unsupported value: "Missing": supported values: "NotFound", '
                              '"AccessDenied", "RegistryUnreachable"', 7)]),
        ("  image: a:1\n  startupSeconds: -1\n",
         [("spec.startupSeconds", "Invalid value: -1: must be a number of seconds, 0 or more", 7)]),
        ("  image: a:1\n  http:\n  - port: 70000\n",
         [("spec.http[0].port", "Invalid value: 70000: must be between 1 and 65535, inclusive", 8)]),
        ("  image: a:1\n  http:\n  - port: 80\n  tcp:\n  - port: 80\n",
         [("spec.tcp[0].port", "Duplicate value: 80", 10)]),
        ("  image: a:1\n  http:\n  - port: 80\n    paths:\n    - path: healthz\n"
         "      responses: [{fromSeconds: 0, status: 200}]\n",
         [("spec.http[0].paths[0].path", "Invalid value: \"healthz\": must start with '/'", 10)]),
        ("  image: a:1\n  http:\n  - port: 80\n    paths:\n    - path: /h\n"
         "      responses:\n      - {fromSeconds: 5, status: 200}\n"
         "      - {fromSeconds: 5, status: 700}\n",
         [("spec.http[0].paths[0].responses[1].status",
           "Invalid value: 700: must be between 100 and 599, inclusive", 13),
          ("spec.http[0].paths[0].responses[1].fromSeconds",
           "Invalid value: 5.0: must be greater than the previous entry's fromSeconds", 13)]),
        ("  image: a:1\n  http:\n  - port: 80\n    paths:\n    - path: /h\n",
         [("spec.http[0].paths[0].responses", "Required value: at least one entry", 10)]),
        ("  image: a:1\n  exec:\n    commands:\n    - command: cat\n"
         "      results: [{fromSeconds: 0, exitCode: 0}]\n",
         [("spec.exec.commands[0].command", 'Invalid value: "cat": must be a list of strings', 9)]),
        ("  image: a:1\n  exit: {afterSeconds: 3, exitCode: 300, reason: Crashed}\n",
         [("spec.exit.exitCode", "Invalid value: 300: must be between 0 and 255, inclusive", 7),
          ("spec.exit.reason", 'Unsupported value: "Crashed": supported values: "Error", '
                               '"Completed", "OOMKilled"', 7)]),
        ("  image: a:1\n  http: {port: 80}\n",
         [("spec.http", 'Invalid value: {"port": 80}: must be a list', 7)]),
        ("  image: a:1\n  http:\n  - port: 80\n    otherPathsBody: 42\n",
         [("spec.http[0].otherPathsBody", "Invalid value: 42: must be a string", 9)]),
        ("  image: a:1\n  http:\n  - port: 80\n    otherPathsBody: " + "x" * 257 + "\n",
         [("spec.http[0].otherPathsBody", "Too long: may not be more than 256 bytes", 9)]),
        ("  image: a:1\n  http:\n  - port: 80\n    paths:\n    - path: /h\n"
         "      responses: [{fromSeconds: 0, status: 200, body: [a]}]\n",
         [("spec.http[0].paths[0].responses[0].body", 'Invalid value: ["a"]: must be a string',
           11)]),
        ("  image: a:1\n  servesWhileStopping: yes please\n",
         [("spec.servesWhileStopping", 'Invalid value: "yes please": must be true or false', 7)]),
    ],
    ids=["no-image", "unknown-field", "seconds-not-a-number", "unknown-pull-error",
         "negative-startup", "port-range", "duplicate-port", "relative-path",
         "status-range-and-order", "no-responses", "command-not-a-list", "exit-code-and-reason",
         "http-not-a-list", "body-not-text", "body-too-long", "step-body-not-text",
         "serves-while-stopping-not-a-flag"],
)
def test_image_behavior_errors_carry_paths_and_lines(spec_yaml, expected):
    assert _errors(spec_yaml) == expected


def test_wrong_kind_or_missing_spec():
    with pytest.raises(ValidationError) as info:
        parse_image_behavior(load_manifests("apiVersion: rolloutviz.dev/v2\nkind: ImageBehavior\n")[0])
    assert [e.field for e in info.value.errors] == ["apiVersion", "spec"]


def test_docs_examples_parse():
    """Every ImageBehavior example in docs/image-behavior.md is valid."""
    doc = pathlib.Path(__file__).resolve().parents[3] / "docs" / "image-behavior.md"
    blocks = re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    behaviors = [parse_image_behavior(m) for block in blocks for m in load_manifests(block)
                 if m.obj.get("kind") == IMAGE_BEHAVIOR_KIND]
    assert len(behaviors) >= 4


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["port", "paths", "path", "responses", "fromSeconds", "status", "seconds",
                         "error", "commands", "command", "results", "exitCode", "x"]),
        inner, max_size=3),
    max_leaves=10,
)
_SPEC_KEYS = ["image", "pull", "startupSeconds", "http", "tcp", "exec", "exit",
              "shutdownSeconds", "description", "bogus"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(_SPEC_KEYS), _json, max_size=5))
def test_any_spec_is_parsed_or_refused_never_crashes(spec):
    manifest = load_manifests({"apiVersion": IMAGE_BEHAVIOR_API_VERSION, "kind": IMAGE_BEHAVIOR_KIND,
                               "metadata": {"name": "x"}, "spec": spec})[0]
    try:
        behavior = parse_image_behavior(manifest)
    except ValidationError as error:
        assert error.errors
    else:
        assert ImageBehavior.from_dict(behavior.to_dict()) == behavior
        behavior.http_status(80, "/", 10.0)
        behavior.exec_exit_code(["true"], 10.0)

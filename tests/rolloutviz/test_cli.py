"""The management commands: `load_demos` and the kubectl-like CLI."""
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from rolloutviz import demos
from rolloutviz.models import Deployment, Link, Simulation

pytestmark = pytest.mark.django_db(transaction=True)


def kubectl(*args) -> str:
    out = StringIO()
    call_command("kubectl", *args, stdout=out)
    return out.getvalue()


def kubectl_fails(*args) -> str:
    err = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("kubectl", *args, stdout=StringIO(), stderr=err)
    assert exited.value.code == 1
    return err.getvalue()


def test_load_demos_once():
    out = StringIO()
    call_command("load_demos", "--if-empty", stdout=out)
    assert Simulation.objects.count() == len(demos.all_demos())
    assert sorted(Simulation.objects.values_list("demo", flat=True)) == sorted(
        d.key for d in demos.all_demos())
    # the operator's, for everyone to view and copy
    assert set(Simulation.objects.values_list("public", "owner_session", "owner_user")) == {(True, "", None)}
    call_command("load_demos", "--if-empty", stdout=out)
    assert Simulation.objects.count() == len(demos.all_demos())
    assert "no demos loaded" in out.getvalue()


def test_operator_link_is_printed_and_stays_the_same():
    first, second = StringIO(), StringIO()
    call_command("operator_link", "--base", "http://example.test:8000/", stdout=first)
    call_command("operator_link", stdout=second)
    token = Link.objects.get(role=Link.OPERATOR).token
    assert first.getvalue() == f"Operator link (keep it private): http://example.test:8000/?token={token}\n"
    assert second.getvalue().endswith(f"http://127.0.0.1:8000/?token={token}\n")


def test_a_scripted_rollout(tmp_path, web_yaml):
    manifest = tmp_path / "web.yaml"
    manifest.write_text(web_yaml())
    assert kubectl("apply", "-f", str(manifest)) == "deployment.apps/web created\n"
    sim = Simulation.objects.get()
    status = kubectl("rollout", "status", "deployment/web").splitlines()
    assert status[-1] == 'deployment "web" successfully rolled out'
    # the controller observed the new spec inside the apply, as a real one does within milliseconds
    assert status[0] == 'Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...'
    assert kubectl("set", "image", "deployment/web", "app=nginx:1.16.1") == (
        "deployment.apps/web image updated\n")
    # the editor's manifest follows the command, on the image's own line
    assert Deployment.objects.get(simulation=sim).manifest == web_yaml(image="nginx:1.16.1")
    kubectl("rollout", "status", "deployment/web")
    history = kubectl("--sim", str(sim.id), "rollout", "history", "deployment/web")
    assert history.splitlines()[0].strip() == "deployment.apps/web"
    assert kubectl("rollout", "undo", "deployment/web", "--to-revision=1") == (
        "deployment.apps/web rolled back\n")
    assert kubectl("scale", "deployment/web", "--replicas", "4") == "deployment.apps/web scaled\n"
    assert kubectl("rollout", "pause", "deployment/web") == "deployment.apps/web paused\n"
    assert kubectl("rollout", "resume", "deployment/web") == "deployment.apps/web resumed\n"
    assert kubectl("rollout", "restart", "deployment/web") == "deployment.apps/web restarted\n"
    assert "web-" in kubectl("get", "rs")
    assert "Replicas:" in kubectl("describe", "deployment", "web")
    pod = kubectl("get", "pods").splitlines()[1].split()[0]
    assert kubectl("delete", "pod", pod) == f'pod "{pod}" deleted\n'
    # back to revision 1's image, scaled, paused and resumed, restarted: the manifest says so
    manifest = yaml.safe_load(Deployment.objects.get(simulation=sim).manifest)
    restarted = manifest["spec"]["template"]["metadata"].pop("annotations")
    assert list(restarted) == ["kubectl.kubernetes.io/restartedAt"]
    assert manifest == yaml.safe_load(web_yaml(replicas=4))


def test_rollout_status_once_and_deadline(tmp_path, web_yaml):
    manifest = tmp_path / "web.yaml"
    manifest.write_text(web_yaml(image="nginx:1.161").replace(
        "  selector:", "  progressDeadlineSeconds: 30\n  selector:"))
    kubectl("apply", "-f", str(manifest))
    once = kubectl("rollout", "status", "deployment/web", "--watch=false")
    assert once == 'Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...\n'
    err = StringIO()
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("kubectl", "rollout", "status", "deployment/web", stdout=out, stderr=err)
    assert out.getvalue().splitlines()[-1] == (
        'error: deployment "web" exceeded its progress deadline')


@pytest.mark.parametrize(
    "args, message",
    [
        (("get", "pods"), "no simulation exists"),
        (("apply", "-f", "/no/such/file.yaml"), "does not exist"),
    ],
    ids=["no-simulation", "missing-file"],
)
def test_errors_without_a_simulation(args, message):
    assert message in kubectl_fails(*args)


def test_errors_print_kubectl_wording(simulation, tmp_path, web_yaml):
    bad = tmp_path / "bad.yaml"
    bad.write_text(web_yaml(replicas=-1))
    assert kubectl_fails("apply", "-f", str(bad)).startswith('The Deployment "web" is invalid:')
    assert kubectl_fails("scale", "deployment/nope", "--replicas=1").startswith(
        "Error from server (NotFound)")
    assert "unknown command" in kubectl_fails("frobnicate")
    kubectl("apply", "-f", str(_write(tmp_path, web_yaml())))
    assert kubectl_fails("set", "image", "deployment/web", "nope=nginx") == (
        'error: unable to find container named "nope"\n')
    assert kubectl_fails("delete", "pod", "nope") == (
        'Error from server (NotFound): pods "nope" not found\n')
    assert kubectl_fails("scale", "deployment/web", "--replicas=3000000000").endswith(
        "json: cannot unmarshal number 3000000000 into Go struct field ScaleSpec.spec.replicas of type int32\n")


def _write(tmp_path, text: str):
    path = tmp_path / "manifest.yaml"
    path.write_text(text)
    return path

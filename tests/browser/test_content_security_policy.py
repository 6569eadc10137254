"""Every page kind runs under the Content-Security-Policy with no violation: the home page, a
simulation driven through its editor (CodeMirror's own styles), timeline, chart, dialogs and
large mode, and the admin (login and a list). And the policy is really enforced: an inline
style, a <style> without the nonce and a socket to another host are refused and reported."""
import pytest

from dashboard_page import Dashboard
from policy_watch import wait_for_violations, watch_policy
from rolloutviz.local_processes import manage

pytestmark = pytest.mark.browser

ADMIN = ("csp-admin", "csp-admin-password-1")


def strict_policy(answer) -> dict[str, list[str]]:
    """The response's policy as {directive: sources}, checked for nothing inline."""
    header = answer.headers.get("content-security-policy", "")
    assert header and "unsafe-inline" not in header and "unsafe-eval" not in header, header
    policy = {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}
    assert policy["script-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"], header
    return policy


def computed(page, selector: str, prop: str) -> str:
    return page.evaluate("([s, p]) => getComputedStyle(document.querySelector(s)).getPropertyValue(p)",
                         [selector, prop])


@pytest.fixture
def watched(context):
    """A page with its policy violations and script errors collected (checked by each test)."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, watch_policy(page), errors


def test_home_simulation_and_admin_run_with_no_violation(watched, daphne_server):
    page, violations, errors = watched
    base = daphne_server.url

    strict_policy(page.goto(base + "/"))
    page.locator("body[data-ready=true]").wait_for()

    dash = Dashboard.from_demo(page, base, "nginx-docs")
    policy = strict_policy(page.goto(page.url))
    dash.wait_for_snapshot()  # the live socket opened under connect-src
    assert f"ws://127.0.0.1:{daphne_server.port}" in policy["connect-src"]
    assert any(source.startswith("'nonce-") for source in policy["style-src"]), policy
    # CodeMirror's theme arrived through its nonce'd <style>; the legend's colours through the CSSOM.
    assert computed(page, "#editor .cm-editor", "display") == "flex"
    assert computed(page, "#legend .swatch", "background-color") == "rgb(187, 187, 187)"  # Pending

    # The editor: typing, the search panel, an invalid manifest's lint markers and tooltip.
    manifest = dash.yaml()
    page.locator("#editor .cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# edited in the browser")
    page.keyboard.press("Control+f")
    page.locator(".cm-search").wait_for()
    page.keyboard.press("Escape")
    dash.set_yaml(manifest.replace("replicas: 3", "replicas: -1"))
    page.click("#apply")
    page.locator("#editor-errors li").first.wait_for()
    page.locator(".cm-lint-marker-error").first.hover()
    page.locator(".cm-tooltip-lint").wait_for()
    # A valid change: the diff dialog, then the rollout on the timeline and the chart.
    dash.set_yaml(manifest.replace("replicas: 3", "replicas: 4"))
    assert "replicas: 4" in dash.review_apply()
    dash.confirm()
    dash.set_speed(10)
    dash.play()
    pods = dash.wait_pods(1, 4)
    assert computed(page, "#replica-chart .chart-legend .line-swatch", "border-top-color") == "rgb(0, 114, 178)"
    rs = dash.js("[...window.rolloutviz.store.timeline.replicasets.keys()][0]")
    assert rs in dash.hover_row("rs", rs)
    assert pods[0]["name"] in dash.hover_row("pod", pods[0]["name"])
    page.mouse.click(*[v for v in dash.js(
        "() => { const b = document.querySelector('#timeline .tl-tooltip').getBoundingClientRect(); return [b.left - 10, b.top - 10]; }")])
    page.locator("#pod-details").wait_for(state="visible")
    for button in ("#zoom-in", "#zoom-out", "#scroll-back", "#fit-all", "#follow-now", "#large-mode", "#large-mode"):
        page.click(button)
    page.locator("body").press("t")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    page.click("#help-open")
    page.locator("#help-dialog").wait_for(state="visible")
    page.keyboard.press("Escape")
    page.locator('[data-text-view="describe"]').click()
    page.locator("#kubectl-text", has_text="Name:").wait_for()

    # The admin: its login page and, signed in, a list.
    manage(daphne_server.env, "shell", "-c",
           "from django.contrib.auth.models import User; "
           f"User.objects.filter(username='{ADMIN[0]}').exists() or "
           f"User.objects.create_superuser('{ADMIN[0]}', '', '{ADMIN[1]}')")
    strict_policy(page.goto(base + "/admin/login/"))
    page.fill("#id_username", ADMIN[0])
    page.fill("#id_password", ADMIN[1])
    page.click("input[type=submit]")
    page.wait_for_url(base + "/admin/")
    strict_policy(page.goto(base + "/admin/rolloutviz/simulation/"))
    page.locator("#result_list").wait_for()

    assert not errors, errors
    assert not violations, violations


def test_the_policy_refuses_inline_styles_foreign_sockets_and_is_watched(watched, daphne_server):
    page, violations, errors = watched
    Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    assert not violations, violations
    page.evaluate("""() => {
      document.body.setAttribute("style", "outline: 7px solid red");
      const style = document.createElement("style");
      style.textContent = "main { outline: 7px solid red; }";
      document.head.append(style);
      try { new WebSocket("ws://elsewhere.invalid/"); } catch (e) { /* refused at once */ }
    }""")
    wait_for_violations(page, violations, "style-src-attr", "style-src-elem", "connect-src")
    assert computed(page, "body", "outline-style") == "none"
    assert computed(page, "main", "outline-style") == "none"
    assert not errors, errors

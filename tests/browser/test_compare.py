"""The comparison page: two variants of the nginx demo side by side on one clock, played from the
page, a set image sent to both, and the summary table filling with each variant's figures."""
import json

import pytest

from rolloutviz.demos.nginx_docs import manifest

from dashboard_page import Dashboard

pytestmark = pytest.mark.browser

VARIANTS = [{"label": "maxSurge 1", "yaml": manifest(surge=1, unavailable=0)},
            {"label": "Recreate", "yaml": manifest(extra_spec="  strategy:\n    type: Recreate\n")}]

CREATE_JS = """async (body) => {
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken=")).split("=")[1];
  const answer = await fetch("/api/comparisons/", {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: JSON.stringify(body)});
  return [answer.status, await answer.json()];
}"""


def _figures(page) -> dict:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#compare-summary tbody tr')].map(
      (row) => [row.querySelector('th').textContent,
                Object.fromEntries([...row.querySelectorAll('td')].map((td) => [td.dataset.figure, td.textContent]))]))""")


def test_two_variants_played_side_by_side_fill_the_summary_table(page, daphne_server):
    page.goto(f"{daphne_server.url}/")
    status, made = page.evaluate(CREATE_JS, {"demo": "nginx-docs", "variants": VARIANTS, "name": "surge or recreate"})
    assert status == 201, made
    page.goto(f"{daphne_server.url}/compare/{made['id']}/")
    page.wait_for_function("() => document.querySelectorAll('.compare-member .connection[data-state=ok]').length === 2")
    assert page.locator(".compare-member .member-title").all_text_contents() == ["maxSurge 1", "Recreate"]

    page.select_option("#group-speed", "10")
    page.click("#group-toggle")
    page.wait_for_function("() => Number(document.body.dataset.groupT) >= 15")
    page.fill("#group-commands input[name=image]", "nginx:1.16.1")
    page.click("[data-group-command=set-image]")
    page.wait_for_function("""() => [...document.querySelectorAll('#compare-summary tbody tr')].filter((row) =>
      Number(row.dataset.start) >= 15 && row.querySelector('[data-figure=status]').textContent === 'complete').length === 2""")
    figures = _figures(page)
    assert {label: (f["peak_pods"], f["min_available"]) for label, f in figures.items()} == {
        "maxSurge 1": ("4", "3"), "Recreate": ("3", "0")}, json.dumps(figures)
    assert all(f["duration"].endswith(" s") for f in figures.values())
    page.click("#group-toggle")  # pause
    page.wait_for_function("() => document.getElementById('group-toggle').textContent.includes('Play')")
    times = page.evaluate("() => window.rolloutviz.stores.map((s) => s.t)")
    assert len(set(times)) == 1, times
    lanes = page.evaluate("() => window.rolloutviz.stores.map((s) => s.timeline.pods.size)")
    assert all(n >= 6 for n in lanes), lanes  # three old pods and three new ones each


def test_compare_from_a_simulation_page_with_presets_and_an_edited_variant(page, daphne_server):
    base = Dashboard.from_demo(page, daphne_server.url, "nginx-docs").sim_id
    page.click("#compare-open")
    rows = page.locator("#compare-variants .compare-variant")
    rows.nth(0).wait_for()
    assert rows.count() == 2
    assert [rows.nth(i).locator("[data-field=label]").input_value() for i in range(2)] == \
        ["maxSurge 1, maxUnavailable 0", "Recreate"]
    page.click("#compare-add")
    rows.nth(2).locator("[data-field=preset]").select_option("max-surge-25")
    edited = rows.nth(2).locator("[data-field=yaml]").input_value().replace("maxSurge: 25%", "maxSurge: 0") \
        .replace("maxUnavailable: 25%", "maxUnavailable: 0")
    rows.nth(2).locator("[data-field=yaml]").fill(edited)
    page.click("#compare-create")
    error = page.locator("#compare-errors li").first
    error.wait_for()
    assert error.text_content().startswith("variants[2].yaml, line ")
    assert "maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0" in error.text_content()
    rows.nth(2).locator("[data-remove-variant]").click()
    page.click("#compare-create")
    page.wait_for_url("**/compare/*/")
    page.wait_for_function("() => document.querySelectorAll('#compare-summary tbody tr').length === 2")
    assert page.locator(".compare-member .member-title").all_text_contents() == \
        ["maxSurge 1, maxUnavailable 0", "Recreate"]
    assert base not in [int(s) for s in page.evaluate(
        "() => [...document.querySelectorAll('.compare-member')].map((m) => m.dataset.simulation)")]
    path = page.url.split(daphne_server.url)[1]
    page.goto(f"{daphne_server.url}/")  # the home page lists it, named after its base
    listed = page.locator(f'#comparisons a[href="{path}"]')
    listed.wait_for()
    assert listed.text_content() == "Kubernetes docs: the nginx Deployment"

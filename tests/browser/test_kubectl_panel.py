"""The page's "kubectl…" panel: the kubeconfig a person downloads carries a new link of their
role in this simulation, labelled "kubeconfig" (listed and revocable under Share)."""
import pytest
import yaml

from dashboard_page import Dashboard

pytestmark = pytest.mark.browser


def download_kubeconfig(dashboard: Dashboard, tmp_path) -> dict:
    page = dashboard.page
    page.click("#kubectl-open")
    panel = page.locator("#kubectl-panel")
    panel.wait_for(state="visible")
    assert f"export KUBECONFIG=~/Downloads/rolloutviz-{dashboard.sim_id}.kubeconfig" in panel.inner_text()
    with page.expect_download() as download:
        page.click("#kubeconfig-download")
    assert download.value.suggested_filename == f"rolloutviz-{dashboard.sim_id}.kubeconfig"
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("role,kubectl_role", [
    pytest.param("owner", "edit", id="owner-gets-an-edit-token"),
    pytest.param("view", "view", id="viewer-gets-a-view-token"),
])
def test_the_panel_downloads_a_kubeconfig_of_the_pages_role(browser, page, daphne_server, tmp_path, role,
                                                            kubectl_role):
    owner = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    other = None
    if role == "owner":
        dashboard = owner
    else:
        other = browser.new_context(viewport={"width": 1280, "height": 900})
        other.set_default_timeout(60_000)
        dashboard = Dashboard.open_link(other.new_page(), owner.share(role))
    try:
        config = download_kubeconfig(dashboard, tmp_path)
    finally:
        if other is not None:
            other.close()
    name = f"rolloutviz-{owner.sim_id}"
    assert config["current-context"] == name
    assert config["contexts"][0]["context"]["namespace"] == "default"
    assert config["clusters"][0]["cluster"]["server"].endswith(f"/k8s/simulations/{owner.sim_id}")
    assert config["clusters"][0]["cluster"]["server"].startswith("https://")
    links = owner.js("""async (sim) => (await fetch(`/api/simulations/${sim}/links`)).json()""", owner.sim_id)
    token = config["users"][0]["user"]["token"]
    assert [(link["role"], link["label"]) for link in links if link["token"] == token] == [(kubectl_role, "kubeconfig")]

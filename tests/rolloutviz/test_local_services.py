"""`rolloutviz.local_services`: deploy/nginx.conf rendered for this machine, and nginx answering for absent Daphnes."""
import json
import urllib.error
import urllib.request

import pytest

from rolloutviz.local_processes import free_port
from rolloutviz.local_services import NGINX_SAMPLE, NginxServer, check_config, render_site, write_main_config

SAMPLE = NGINX_SAMPLE.read_text()


def test_the_sample_is_rendered_with_this_machines_ports_and_folder(tmp_path):
    site = render_site(SAMPLE, listen=18080, upstreams=[18101, 18102, 18103], static_root=tmp_path)
    assert "\n    listen 127.0.0.1:18080;\n" in site and "\n    listen 80;\n" not in site
    assert [line.strip() for line in site.splitlines() if line.strip().startswith("server 127.0.0.1:")] == [
        "server 127.0.0.1:18101;", "server 127.0.0.1:18102;", "server 127.0.0.1:18103;"]
    assert f"        alias {tmp_path}/;\n" in site
    assert "    server_name 127.0.0.1 localhost;\n" in site


@pytest.mark.parametrize("edit", [
    pytest.param(lambda s: s.replace("    listen 80;\n", ""), id="no-listen-line"),
    pytest.param(lambda s: s.replace("alias /srv/rolloutviz/staticfiles/;", "root /srv;"), id="static-folder-moved"),
    pytest.param(lambda s: s.replace("    server 127.0.0.1:8101;\n    server 127.0.0.1:8102;\n", ""), id="no-upstream"),
])
def test_a_sample_whose_shape_changed_is_refused_by_name(edit, tmp_path):
    with pytest.raises(ValueError, match="deploy/nginx.conf: expected exactly one match"):
        render_site(edit(SAMPLE), listen=1, upstreams=[2], static_root=tmp_path)


@pytest.mark.nginx
def test_the_sample_as_it_stands_passes_nginx_t(tmp_path):
    check_config(tmp_path, write_main_config(tmp_path, NGINX_SAMPLE))


@pytest.mark.nginx
def test_with_no_daphne_answering_the_api_still_answers_json(tmp_path):
    nginx = NginxServer(tmp_path / "nginx", listen=free_port(), upstreams=[free_port()], static_root=tmp_path)
    nginx.start()
    try:
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{nginx.listen}/api/simulations/", timeout=30)
        assert answer.value.code == 503 and answer.value.headers["Retry-After"] == "5"
        assert answer.value.headers["Content-Type"] == "application/json"
        assert json.loads(answer.value.read())["errors"][0]["message"].startswith("no server is answering now")
    finally:
        nginx.stop()

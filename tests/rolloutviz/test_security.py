"""Security: the Content-Security-Policy of every response, the production profile (`check
--deploy` clean, HTTPS only), session rotation on login, the admin behind staff login, and the
limits per client address (who the client is behind a proxy)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse

from rolloutviz import limits, permissions
from rolloutviz.local_processes import ROOT
from rolloutviz.models import Link, Simulation

HOST = "127.0.0.1:8000"
# What every response's policy must say, directive by directive ('nonce-…' checked apart).
REQUIRED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: sources}."""
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


# ------------------------------------------------------------------ Content-Security-Policy


@pytest.fixture
def public_sim(db):
    return Simulation.objects.create(name="csp", public=True)


@pytest.mark.parametrize("path, status", [
    ("/", 200),
    ("/simulations/{sim}/", 200),
    ("/admin/login/", 200),
    ("/admin/", 302),
    ("/api/demos/", 200),
    ("/api/nowhere", 404),
    ("/no/such/page/", 404),
], ids=["home", "simulation", "admin-login", "admin-redirect", "api", "api-404", "page-404"])
def test_every_response_carries_the_strict_policy(public_sim, path, status):
    response = Client(HTTP_HOST=HOST).get(path.format(sim=public_sim.pk))
    assert response.status_code == status
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header, header
    policy = policy_of(response)
    nonces = [s for s in policy.get("style-src", []) if s.startswith("'nonce-")]
    policy["style-src"] = [s for s in policy.get("style-src", []) if not s.startswith("'nonce-")]
    assert {k: policy.get(k) for k in REQUIRED} == REQUIRED
    # 'self' covers the page's own socket in CSP 3; the explicit origin is for older Safari.
    assert policy["connect-src"] == ["'self'", f"ws://{HOST}"]
    # Only the page with the editor uses (and so announces) a nonce.
    assert len(nonces) == (1 if path.startswith("/simulations/") else 0), header


def test_the_socket_origin_follows_https_and_the_host(public_sim, settings):
    settings.ALLOWED_HOSTS = ["rolloutviz.example.org"]
    response = Client(HTTP_HOST="rolloutviz.example.org").get("/", secure=True)
    assert policy_of(response)["connect-src"] == ["'self'", "wss://rolloutviz.example.org"]
    refused = Client(HTTP_HOST="evil.example").get("/")
    assert refused.status_code == 400
    assert policy_of(refused)["connect-src"] == ["'self'"]  # no socket origin for a refused host


def test_the_simulation_page_hands_its_own_fresh_nonce_to_the_editor(public_sim):
    seen = set()
    for _ in range(2):
        response = Client(HTTP_HOST=HOST).get(f"/simulations/{public_sim.pk}/")
        (meta,) = re.findall(r'<meta name="csp-nonce" content="([^"]+)">', response.content.decode())
        assert f"'nonce-{meta}'" in policy_of(response)["style-src"]
        seen.add(meta)
    assert len(seen) == 2 and all(len(n) >= 22 for n in seen)  # 128 random bits, new per response


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
INLINE = {
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(t.relative_to(ROOT)) for t in TEMPLATES])
def test_templates_have_nothing_inline(template):
    text = re.sub(r"\{#.*?#\}", "", template.read_text())  # template comments are not sent
    found = {what: pattern.findall(text) for what, pattern in INLINE.items() if pattern.search(text)}
    assert not found, found


def test_the_bundle_writes_no_style_attributes():
    """The swatches' colours go through the CSSOM (`paintSwatches`), not ``style="…"``."""
    bundle = (ROOT / "static/rolloutviz/dist/app.js").read_text()
    assert "data-swatch" in bundle and "cspNonce" in bundle
    assert not re.search(r"""(?<![-\w])style=\\?["'$]""", bundle)  # an SVG font-style="…" is no style attribute


# ------------------------------------------------------------------ the production profile

STRONG_KEY = "k" * 10 + "9f3Qz!x7Lp2#Vb8Rt5^Wm1&Yc4*Hn6(Gd0)Js" + "e" * 12


def check_deploy(settings_module: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py check --deploy --fail-level WARNING`` in a process with this environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRUSTED_", "LIMIT_"))}
    base.update(DJANGO_SETTINGS_MODULE=settings_module, PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=base, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_the_production_profile():
    done = check_deploy("rolloutviz.settings_production",
                        DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="rolloutviz.example.org")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (1 silenced)." in done.stdout  # W021: HSTS preload


@pytest.mark.parametrize("settings_module, env, says", [
    ("rolloutviz.settings", {"DJANGO_SECRET_KEY": STRONG_KEY}, "security.W004"),
    ("rolloutviz.settings_production", {"DJANGO_SECRET_KEY": "short", "DJANGO_ALLOWED_HOSTS": "rv.example"},
     "security.W009"),
    ("rolloutviz.settings_production", {"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_ALLOWED_HOSTS": "rv.example",
                                        "DJANGO_HSTS_SECONDS": "0"}, "security.W004"),
    ("rolloutviz.settings_production", {"DJANGO_ALLOWED_HOSTS": "localhost"}, "needs DJANGO_SECRET_KEY"),
    ("rolloutviz.settings_production", {"DJANGO_SECRET_KEY": STRONG_KEY}, "needs DJANGO_ALLOWED_HOSTS"),
], ids=["embedded-default-is-not-for-deployment", "weak-secret-key", "hsts-off", "no-secret-key", "no-hosts"])
def test_check_deploy_fails_when_it_should(settings_module, env, says):
    done = check_deploy(settings_module, **env)
    assert done.returncode != 0
    assert says in done.stdout + done.stderr


@pytest.fixture
def production(monkeypatch, settings):
    """The production profile's security settings on the live test settings."""
    import importlib

    monkeypatch.setenv("DJANGO_SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "rolloutviz.example.org")
    import rolloutviz.settings_production as profile
    profile = importlib.reload(profile)
    for name in ("SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                 "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "DEBUG",
                 "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY", "TRUSTED_PROXIES"):
        setattr(settings, name, getattr(profile, name))
    settings.ALLOWED_HOSTS = ["rolloutviz.example.org"]
    return profile


def test_production_serves_only_https_with_hsts_and_secure_cookies(db, production):
    client = Client(HTTP_HOST="rolloutviz.example.org")
    plain = client.get("/")
    assert (plain.status_code, plain["Location"]) == (301, "https://rolloutviz.example.org/")
    # A client's own X-Forwarded-Proto reaches Django only through nginx, which overwrites it.
    page = client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "wss://rolloutviz.example.org" in policy_of(page)["connect-src"]
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and not csrf["httponly"]  # the page reads it for X-CSRFToken
    created = client.post("/api/simulations/", "{}", content_type="application/json", HTTP_X_FORWARDED_PROTO="https")
    session = created.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_the_embedded_default_needs_no_setup_and_no_https(db):
    page = Client(HTTP_HOST=HOST).get("/")
    assert page.status_code == 200 and "Strict-Transport-Security" not in page
    assert not page.cookies["csrftoken"]["secure"]


# ------------------------------------------------------------------ logging in, the admin

PASSWORD = "a long enough password 42"


@pytest.fixture
def staff(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, for tests only
    users = get_user_model().objects
    return {"admin": users.create_superuser("operator", password=PASSWORD),
            "user": users.create_user("student", password=PASSWORD)}


def admin_login(client: Client, username: str) -> object:
    """Log in through the admin's form, CSRF token and all."""
    client.get("/admin/login/")
    return client.post("/admin/login/?next=/admin/", {
        "username": username, "password": PASSWORD, "next": "/admin/",
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


@pytest.mark.parametrize("login_url", ["admin:login", "login"])
def test_login_rotates_the_session_and_keeps_what_it_owns(staff, login_url):
    try:
        url = reverse(login_url)
    except NoReverseMatch:
        pytest.skip(f"no {login_url!r} route in this build")
    client = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    session = client.session
    owner = permissions.owner_id(session)
    session.save()
    before = session.session_key
    client.get(url)
    answer = client.post(url, {"username": "operator", "password": PASSWORD,
                               "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert answer.status_code == 302, answer.content[:500]
    after = client.cookies["sessionid"].value
    assert after != before, "login must hand out a new session key (session fixation)"
    assert not SessionStore().exists(before)
    rotated = SessionStore(session_key=after)
    assert permissions.owner_id(rotated) == owner  # the session's simulations stay its own
    assert rotated["_auth_user_id"] == str(staff["admin"].pk)


def admin_urls() -> list[str]:
    """The admin's index and, for every registered model, its list, add and change pages."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls += [reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
                 reverse(f"admin:{meta.app_label}_{meta.model_name}_add")]
        first = model.objects.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
    return urls


def anonymous(client):
    return client


def with_operator_link(client):
    """A session that opened the operator link: the operator of every simulation, not staff."""
    session = client.session
    session[permissions.SESSION_OPERATOR] = Link.objects.create(token=permissions.new_token(),
                                                                role=Link.OPERATOR).token
    session.save()
    return client


def with_bearer(client):
    client.defaults["HTTP_AUTHORIZATION"] = "Bearer " + Link.objects.create(
        token=permissions.new_token(), role=Link.OPERATOR).token
    return client


def as_student(client):
    client.force_login(get_user_model().objects.get(username="student"))
    return client


@pytest.mark.parametrize("who", [anonymous, with_operator_link, with_bearer, as_student],
                         ids=["anonymous", "operator-link-session", "operator-bearer-token", "logged-in-non-staff"])
def test_the_admin_shows_nothing_without_a_staff_login(staff, simulation, who):
    client = who(Client(HTTP_HOST=HOST))
    urls = admin_urls()
    assert len(urls) > 10  # every model's pages, with a stored row each for Simulation at least
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 302, (url, answer.status_code)
        assert answer["Location"].startswith("/admin/login/"), url
        assert simulation.name not in answer.content.decode()


def test_the_admin_opens_for_staff_after_login(staff, simulation):
    client = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    assert admin_login(client, "operator").status_code == 302
    for url in admin_urls():
        assert client.get(url).status_code == 200, url


def guess(client: Client, password: str) -> int:
    """One attempt at the admin's login form; its status (200: refused, form shown again)."""
    client.get("/admin/login/")
    return client.post("/admin/login/", {"username": "operator", "password": password,
                                         "csrfmiddlewaretoken": client.cookies["csrftoken"].value}).status_code


@pytest.mark.parametrize("same_session, peer", [(True, "127.0.0.1"), (False, "203.0.113.7")],
                         ids=["one-session", "a-new-session-per-guess-from-one-address"])
def test_login_attempts_are_limited(staff, settings, pinned, same_session, peer):
    settings.LIMIT_LOGINS_PER_MINUTE = 3 if same_session else 100
    settings.LIMIT_ADDRESS_LOGINS_PER_MINUTE = 3
    clients = iter(lambda: Client(HTTP_HOST=HOST, REMOTE_ADDR=peer, enforce_csrf_checks=True), None)
    client = next(clients)
    answers = [guess(client if same_session else next(clients), f"guess {i}") for i in range(3)]
    assert answers == [200, 200, 200]
    refused = client if same_session else next(clients)
    refused.get("/admin/login/")
    answer = refused.post("/admin/login/", {"username": "operator", "password": PASSWORD,
                                            "csrfmiddlewaretoken": refused.cookies["csrftoken"].value})
    assert answer.status_code == 429  # even the right password, until the window ends
    assert answer["Retry-After"] == "20" and "too many login attempts" in answer.content.decode()
    assert "_auth_user_id" not in refused.session


# ------------------------------------------------------------------ limits per address

NOW = 1_800_000_040.25  # inside one minute-window, as in test_limits.py


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setattr(limits, "clock", lambda: NOW)
    cache.clear()
    yield
    cache.clear()


# (peer, X-Forwarded-For, trusted proxies, the client address the limiter counts)
CLIENT_ADDRESS_CASES = {
    "direct-peer": ("203.0.113.7", "", [], "203.0.113.7"),
    "spoofed-xff-from-an-untrusted-peer": ("203.0.113.7", "198.51.100.1", [], "203.0.113.7"),
    "xff-from-a-trusted-proxy": ("127.0.0.1", "203.0.113.7", ["127.0.0.1"], "203.0.113.7"),
    "client-forged-left-part-ignored": ("10.0.0.2", "127.0.0.1, 198.51.100.1, 203.0.113.7", ["10.0.0.0/8"],
                                        "203.0.113.7"),
    "two-trusted-proxies": ("10.0.0.2", "203.0.113.7, 10.0.0.9", ["10.0.0.0/8"], "203.0.113.7"),
    "only-proxies-in-the-chain": ("10.0.0.2", "10.0.0.3", ["10.0.0.0/8"], "10.0.0.3"),
    "trusted-proxy-without-xff": ("127.0.0.1", "", ["127.0.0.0/8"], "127.0.0.1"),
    "a-hop-that-is-no-address-stops-the-reading": ("10.0.0.2", "203.0.113.7, not-an-ip, 10.0.0.9", ["10.0.0.0/8"],
                                                   "10.0.0.9"),
    "empty-hops-skipped": ("127.0.0.1", "203.0.113.7,", ["127.0.0.1"], "203.0.113.7"),
    "ipv6": ("2001:db8::1", "", [], "2001:db8::1"),
    "ipv4-mapped-ipv6": ("::ffff:203.0.113.7", "", [], "203.0.113.7"),
    "unix-socket": ("", "203.0.113.7", [], ""),
}


@pytest.mark.parametrize("peer, xff, proxies, expected", CLIENT_ADDRESS_CASES.values(),
                         ids=CLIENT_ADDRESS_CASES.keys())
def test_client_address(settings, peer, xff, proxies, expected):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=xff)
    assert limits.client_address(request) == expected


def create(peer: str, xff: str = "") -> int:
    """One new simulation from a new session (a new browser) at this peer."""
    client = Client(HTTP_HOST=HOST, REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=xff)
    answer = client.post("/api/simulations/", "{}", content_type="application/json")
    if answer.status_code == 429:
        assert "from this network address" in answer.json()["errors"][0]["message"]
        assert answer["Retry-After"] == "20"
    return answer.status_code


# (settings, [(peer, X-Forwarded-For), ...] one new session each, the answers)
ADDRESS_LIMIT_CASES = {
    "loopback-exempt-by-default": (
        {}, [("127.0.0.1", "")] * 4, [201, 201, 201, 201]),
    "a-class-behind-one-nat-shares-its-address": (
        {}, [("203.0.113.7", "")] * 3 + [("198.51.100.9", "")], [201, 201, 429, 201]),
    "spoofed-xff-ignored": (
        {}, [("203.0.113.7", f"198.51.100.{i}") for i in range(3)], [201, 201, 429]),
    "xff-believed-from-a-trusted-proxy": (
        {"TRUSTED_PROXIES": ["127.0.0.1"]},
        [("127.0.0.1", "203.0.113.7"), ("127.0.0.1", "203.0.113.7"), ("127.0.0.1", "1.1.1.1, 203.0.113.7"),
         ("127.0.0.1", "203.0.113.8")], [201, 201, 429, 201]),
    "a-configured-exempt-network": (
        {"LIMIT_EXEMPT_ADDRESSES": ["203.0.113.0/24"]}, [("203.0.113.7", "")] * 3, [201, 201, 201]),
    "per-address-off": (
        {"LIMIT_PER_ADDRESS": False}, [("203.0.113.7", "")] * 3, [201, 201, 201]),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("overrides, requests, answers", ADDRESS_LIMIT_CASES.values(), ids=ADDRESS_LIMIT_CASES.keys())
def test_limits_per_address(settings, pinned, overrides, requests, answers):
    settings.LIMIT_CREATIONS_PER_MINUTE = 100  # the sessions' own limit never bites here
    settings.LIMIT_ADDRESS_CREATIONS_PER_MINUTE = 2
    for name, value in overrides.items():
        setattr(settings, name, value)
    before = Simulation.objects.count()
    assert [create(peer, xff) for peer, xff in requests] == answers
    assert Simulation.objects.count() - before == answers.count(201)  # a refusal creates nothing


def test_a_rate_has_its_own_limit_per_address(settings):
    settings.LIMIT_COMMANDS_PER_SECOND = 20
    settings.LIMIT_ADDRESS_COMMANDS_PER_SECOND = 200
    assert limits.COMMANDS.limit("session:abc") == 20
    assert limits.COMMANDS.limit("address:203.0.113.7") == 200

"""Page rules that need no platform: content Markdown is escaped, cookies are Secure except for a
local development hub, every form needs its CSRF token."""

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from hub.app import create_app
from hub.config import Settings
from hub.markdown import render
from hub.security import HubSession, csrf_token, seal_session, token_expiry
from ptfc.auth import issue_token
from ptfc.settings import DEV_JWT_PRIVATE_KEY

LOCAL = Settings(public_url="http://127.0.0.1:8000", cookie_secure=False, learning_url="http://127.0.0.1:9")


def test_markdown_escapes_and_renders_lists_and_bold():
    html = render("Hello <script>x</script> **you**\n\n- one\n- **two**\n\nLead-in:\n- a\n- b")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>you</strong>" in html
    assert '<ul class="list list--bullet"><li>one</li><li><strong>two</strong></li></ul>' in html
    assert "<p>Lead-in:</p>" in html


def test_cookies_may_be_insecure_only_on_a_local_development_hub():
    with pytest.raises(ValidationError):
        Settings(public_url="https://hub.example", cookie_secure=False)
    assert Settings(public_url="https://hub.example").cookie_secure


def test_a_form_posted_without_its_csrf_token_is_refused():
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        assert client.post("/activate", data={"token": "t"}).status_code == 403
        page = client.get("/activate?token=t")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        assert client.post("/activate", data={"token": "t", "csrf": "0" + token}).status_code == 403
        other = TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000")  # another browser: no cookie
        assert other.post("/activate", data={"token": "t", "csrf": token}).status_code == 403


def test_opening_an_emailed_link_shows_a_button_and_uses_nothing():
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        page = client.get("/activate?token=abc")  # learning is not even reachable: nothing is called
        assert page.status_code == 200
        assert 'name="token" value="abc"' in page.text and "<button" in page.text
        assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in page.headers["content-security-policy"]


def test_pages_follow_the_chosen_language_and_urdu_is_right_to_left():
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        page = client.get("/sign-in?lang=ur")
        assert '<html lang="ur" dir="rtl">' in page.text and "سائن اِن" in page.text
        assert '<html lang="ur" dir="rtl">' in client.get("/resources").text  # remembered
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as fresh:  # a browser asking for Polish
        assert '<html lang="pl" dir="ltr">' in fresh.get("/", headers={"Accept-Language": "pl,en;q=0.5"}).text


def test_personal_pages_need_a_sign_in():
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        for path in ("/course", "/learning", "/learning/1", "/learning/1/activity"):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"] == "/sign-in", path


def test_the_token_expiry_is_read_only_to_warn():
    assert token_expiry("not-a-token") is None


def test_markdown_renders_italic_quotes_but_not_lone_asterisks():
    html = render('She may think: *"If I had been better."* 2*3 is six.')
    assert '<em>"If I had been better."</em>' in str(html).replace("&#34;", '"')
    assert "2*3" in html


def test_the_hub_is_not_ready_without_learning():
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        answer = client.get("/readyz")  # nothing listens on learning's port here
        assert answer.status_code == 503 and answer.json()["checks"]["learning"] is False
        assert client.get("/healthz").status_code == 200


def test_a_bad_address_or_form_is_a_page_not_json():
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        for path in ("/no-such-page", "/activate?token=" + "a" * 201, "/sign-in?ended=abc", "/static/../app.py"):
            page = client.get(path)
            assert page.status_code == 404 and "Page not found" in page.text, path
            assert page.headers["content-type"].startswith("text/html")
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/activate?token=t").text).group(1)
        refused = client.post("/activate", data={"csrf": token})  # no link in the form
        assert refused.status_code == 400 and "Sorry, this could not be done" in refused.text


def test_a_session_cookie_with_an_impossible_expiry_is_not_a_server_error():
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        for exp in ("1e400", "99999999999999999", "-99999999999999999"):
            claims = base64.urlsafe_b64encode(f'{{"exp": {exp}}}'.encode()).decode().rstrip("=")
            client.cookies.set("ptfc_session", f"x.{claims}.y")
            assert client.get("/resources").status_code == 200, exp


def test_language_links_never_lead_to_another_site():
    """`//evil.example/x` is a path here; echoed into a link it would be another site's address."""
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        paths = ("//evil.example/x", "/\\evil.example", "/%2F%2Fevil.example", "/%5Cevil.example", "///evil.example")
        for path in paths:
            page = client.get("http://127.0.0.1:8000" + path)
            links = re.findall(r'href="([^"]*)" lang="(?:pl|ur|en)"', page.text)
            assert len(links) == 2, path
            assert all(link.startswith("?") and "evil" not in link for link in links), (path, links)


def test_opening_a_plan_link_stores_nothing_until_the_parent_says_so():
    """A stranger's owner link, opened, must not make their plan hers (listed as her own, with what
    she types going to them): the link asks first, and only the button (with its CSRF) keeps it."""
    plan, secret = "p" * 20, "stranger-secret"
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        page = client.get(f"/plans/open?plan={plan}&token={secret}", follow_redirects=False)
        assert page.status_code == 200 and "Open a plan shared with you?" in page.text
        assert "ptfc_plans" not in page.headers.get("set-cookie", "") and "ptfc_plans" not in client.cookies
        assert plan not in client.get("/plan").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        assert client.post("/plans/open", data={"plan": plan, "token": secret}).status_code == 403  # no CSRF
        kept = client.post("/plans/open", data={"plan": plan, "token": secret, "csrf": csrf}, follow_redirects=False)
        assert kept.status_code == 303 and kept.headers["location"] == f"/plan/{plan}"
        assert f"/plan/{plan}" in client.get("/plan").text


def _signed_in(client: TestClient, secret: str) -> None:
    """A browser holding a session the hub signed (its token far from running out: no refresh)."""
    token = issue_token(DEV_JWT_PRIVATE_KEY, "parent", "p-1", ttl=timedelta(hours=1))
    session = HubSession.new(secret, token, datetime.now(UTC) + timedelta(hours=8))
    client.cookies.set("ptfc_session", seal_session(LOCAL.hub_secret, session))


def test_a_csrf_token_works_only_in_the_sign_in_it_was_made_for():
    """A CSRF cookie planted from a sibling domain (cookie tossing) gives its planter a token they
    can compute; signed in, the token is bound to the signed session, which they cannot plant."""
    planted = "seed-the-attacker-knows"
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as victim:
        _signed_in(victim, "victim-session")
        victim.cookies.set("ptfc_csrf", planted)
        forged = csrf_token(LOCAL.hub_secret, planted)
        assert victim.post("/sign-in", data={"email": "a@b.example", "csrf": forged}).status_code == 403
        page = victim.get("/resources")
        mine = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        assert victim.post("/sign-in", data={"email": "a@b.example", "csrf": mine}).status_code != 403
        with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as other:  # same seed, another sign-in
            _signed_in(other, "another-session")
            other.cookies.set("ptfc_csrf", planted)
            assert other.post("/sign-in", data={"email": "a@b.example", "csrf": mine}).status_code == 403


def test_a_session_cookie_the_hub_did_not_sign_is_signed_out():
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        _signed_in(client, "s")
        payload, _, mac = client.cookies["ptfc_session"].partition(".")
        client.cookies.set("ptfc_session", payload[:-2] + "xx." + mac)  # altered
        answer = client.get("/course", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in?ended=1")


def test_in_production_cookies_cannot_be_planted_from_a_sibling_domain():
    """Over https every cookie is `__Host-`: a browser takes it only from the hub's own host, so a
    sibling domain cannot plant a CSRF value it knows (forging a signed-out post) or a plan's secret."""
    live = Settings(public_url="https://hub.example", learning_url="http://127.0.0.1:9")
    with TestClient(create_app(live), base_url="https://hub.example") as client:
        page = client.get("/activate?token=t")
        set_cookie = page.headers["set-cookie"]
        assert set_cookie.startswith("__Host-ptfc_csrf=") and "Secure" in set_cookie and "Path=/" in set_cookie
        assert "domain" not in set_cookie.lower()
        planted = "seed-the-attacker-knows"
        client.cookies.clear()
        client.cookies.set("ptfc_csrf", planted)  # what a sibling domain can set: no __Host- prefix
        client.cookies.set("ptfc_plans", f"{'p' * 20}:stranger-secret")
        forged = csrf_token(live.hub_secret, planted)
        assert client.post("/activate", data={"token": "t", "csrf": forged}).status_code == 403
        assert "p" * 20 not in client.get("/plan").text

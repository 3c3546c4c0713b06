"""No input gets the hub to answer 500: every route it serves (read from the app, so a new one is
included) is sent odd path values, query strings and forms (every field any page posts, with
hostile values), signed in and not, on the real platform. Each answer must be a page, a redirect
or a file, never a server error or FastAPI's JSON. Seeded, so a run is reproducible."""

import random
import re

import httpx

from hub.app import create_app
from hub.config import Settings

ALEX = ("Alex", "Jones", "alex@example.org", "07700900001", "en", "female")
CHRIS = ("Chris", "Rowe", "chris@example.org", "07700900002", "pl", "male")
# What pages post, and values no page would send.
FIELDS = [
    "age", "child-0-age", "child-0-name", "child-1-age", "consent", "display_name", "email", "formats",
    "patterns", "referrer", "session_id", "text", "to", "token", "topics", "version", "viewport",
]  # fmt: skip
VALUES = ["", " ", "0", "-1", "²", "۳", "1e400", "99999999999999999999", "x" * 5000, "<script>", "null", "../..",
          "%00", "\u202e", "true", "[]", "{}", "a@b", "café", "😀"]  # fmt: skip
PATH_VALUES = ["x", "0", "-1", "²", "9" * 30, "a" * 300, "..%2F..", "%00", "%F0%9F%98%80", "None"]


def routes() -> list[tuple[str, str]]:
    """Every route of the hub, from the schema FastAPI builds of them (the hub does not serve it)."""
    app = create_app(Settings(public_url="http://127.0.0.1:9", cookie_secure=False))
    return [(m.upper(), path) for path, item in app.openapi()["paths"].items() for m in item]


def fill(path: str, rng: random.Random, known: dict[str, str]) -> str:
    def value(m: re.Match) -> str:
        name = m.group(1)
        return known[name] if name in known and rng.random() < 0.5 else rng.choice(PATH_VALUES)

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


async def test_no_route_of_the_hub_answers_500_to_any_input(start_platform):
    rng = random.Random(2026)
    async with start_platform() as platform:
        await platform.refer_parents("MA24P00199", "hub-fuzz-1", ALEX, CHRIS)
        link = await platform.link(ALEX[2])
        async with (
            httpx.AsyncClient(base_url=platform.hub, timeout=30) as parent,
            httpx.AsyncClient(base_url=platform.hub, timeout=30) as stranger,
        ):
            page = await parent.get(link.removeprefix(platform.hub))
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            token = link.split("token=")[1]
            assert (await parent.post("/activate", data={"csrf": csrf, "token": token})).status_code == 303
            # Signed in, forms carry the session's token (the one above was the signed-out browser's).
            csrf = re.search(r'name="csrf" value="([^"]+)"', (await parent.get("/course")).text).group(1)
            plan = {"display_name": "Alex", "child-0-name": "Sam", "child-0-age": "6", "topics": "living"}
            started = await parent.post("/plan/new", data={"csrf": csrf, **plan}, follow_redirects=True)
            assert (await parent.get(started.url.path)).status_code == 200  # the plan is the parent's
            known = {"plan_id": started.url.path.rsplit("/", 1)[-1], "number": "1", "section": "1", "topic": "living"}
            known["file"] = "video.webm"  # module 1's film
            stranger_csrf = re.search(r'name="csrf" value="([^"]+)"', (await stranger.get("/sign-in")).text).group(1)

            checked = 0
            for method, path in routes():
                for client, token_ in ((parent, csrf), (stranger, stranger_csrf)):
                    if client is parent and path == "/sign-out":
                        continue  # the parent stays signed in, so every page is also tried as theirs
                    for _ in range(10):
                        url = fill(path, rng, known)
                        query = {rng.choice([*FIELDS, "lang", "page", "started", "ended"]): rng.choice(VALUES)}
                        form = {f: rng.choice(VALUES) for f in rng.sample(FIELDS, rng.randint(0, len(FIELDS)))}
                        form["csrf"] = token_ if rng.random() < 0.8 else rng.choice(VALUES)
                        answer = await client.request(
                            method, url, params=query, data=form if method == "POST" else None
                        )
                        where = f"{method} {url} {query} {form}"[:300]
                        assert answer.status_code < 500, (where, answer.text[:500])
                        kind = answer.headers.get("content-type", "")
                        assert not kind.startswith("application/json") or path in ("/healthz", "/readyz"), where
                        checked += 1
            assert (await parent.get("/course")).status_code == 200  # still signed in: the pages were theirs
            print(f"\n{checked} hostile requests to {len(routes())} routes of the hub: no server error")

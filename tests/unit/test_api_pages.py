"""`/docs` and `/asyncapi` are served with their scripts and styles from the service itself
(vendored, pinned: ptfc.apidocs), so they work offline and load nothing from another host."""

import importlib
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from ptfc.cli import SERVICES

BASE = "http://service.test"


class Urls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("src", "href") and value]


def urls_in(page: str) -> list[str]:
    parser = Urls()
    parser.feed(page)
    # and any URL a script on the page names (the documents it fetches)
    return parser.found + re.findall(r"""(?:url|openapi_url)\s*[:=]\s*['"]([^'"]+)['"]""", page)


@pytest.mark.parametrize("service", list(SERVICES))
@pytest.mark.parametrize("page", ["/docs", "/asyncapi"])
async def test_the_api_pages_load_every_asset_from_the_service_itself(service, page):
    app = importlib.import_module(f"{service}.app").create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        answer = await client.get(page)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
        assert "cdn" not in answer.text.lower() and "unpkg" not in answer.text.lower()
        urls = urls_in(answer.text)
        assert any(u.endswith(".js") for u in urls), urls
        for url in urls:
            absolute = urljoin(BASE + page, url)
            assert urlsplit(absolute).netloc == urlsplit(BASE).netloc, f"{page} loads {url} from another host"
            fetched = await client.get(absolute)
            assert fetched.status_code == 200 and len(fetched.content) > 100, (url, fetched.status_code)
        assert (await client.get("/redoc")).status_code == 404  # Redoc loads from a CDN: not served
        assert (await client.get("/docs/assets/..%2Fapidocs.py")).status_code == 404

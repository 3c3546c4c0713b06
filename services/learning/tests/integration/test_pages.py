"""The pages the emailed links open: opening one (as a mail scanner does) never uses the link."""

import base64
import hashlib
import re

from learning.app import create_app
from ptfc.testing.plugin import running


async def test_opening_the_welcome_link_leaves_it_working(hub):
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-p1", "pp")
        token = await hub.token("pp")
        for path in ("/activate", "/sign-in"):
            page = await client.get(path, params={"token": token})
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
            script = re.search(r"<script>(.*)</script>", page.text, re.S).group(1)
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"script-src 'sha256-{digest}'" in page.headers["content-security-policy"]

        assert (await client.post("/activate", json={"token": token})).status_code == 200

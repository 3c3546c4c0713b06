"""What reaches the logs."""

import io
import json
import logging

from ptfc import logs


def test_access_lines_never_carry_the_token_in_a_link(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # restored after the test, as is the level
    monkeypatch.setattr(root, "level", root.level)
    stream = io.StringIO()
    logs.configure("learning", stream=stream)

    access = logging.getLogger("uvicorn.access")  # as uvicorn logs each request
    access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.9:5123", "GET", "/activate?token=SECRET-TOKEN", "1.1", 200)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == '10.0.0.9:5123 - "GET /activate HTTP/1.1" 200' and line["service"] == "learning"
    assert "SECRET-TOKEN" not in stream.getvalue()

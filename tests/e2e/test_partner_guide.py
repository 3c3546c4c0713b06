"""docs/partners.md followed as a new partner follows it (issue 29, "Done when"): its "Trying it
locally" blocks are run as they are written, against `make up` started as that section says, with
only the ports (and the `var/` folder) this test chose put in place of the defaults: credentials,
a referral, the stream read with the partner's own consumer, replays into a second and third one
(from a time, from a sequence), a webhook registered and replayed to a local `http://` endpoint,
and every POST verified with the guide's own code (§4: `standardwebhooks`, and by hand). A step
that fails as written fails this test, so the guide cannot drift from the platform."""

import asyncio
import http.server
import json
import re
import shlex
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
from standardwebhooks import Webhook

from ptfc.dev.servers import free_port
from ptfc.dev.up import HUB, ports
from ptfc.programme import SERVICES
from ptfc.testing.servers import free_base_port
from ptfc.testing.terminal import ROOT, Terminal, shell_env

GUIDE = ROOT / "docs" / "partners.md"
LOCAL = "## Trying it locally"
WEBHOOKS = "## 4. Webhooks"


def section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else None]


def blocks(text: str, language: str) -> list[str]:
    """The fenced blocks of one language, in order (indented ones, in a list item, dedented)."""
    found = re.findall(rf"^( *)```{language}\n(.*?)^\1```$", text, re.M | re.S)
    return [re.sub(rf"(?m)^{indent}", "", body) for indent, body in found]


class Endpoint(http.server.ThreadingHTTPServer):
    """The partner's webhook endpoint: keeps each POST's raw body and headers, answers 204."""

    def __init__(self) -> None:
        self.posts: list[tuple[bytes, dict[str, str]]] = []
        super().__init__(("127.0.0.1", 0), self.Handler)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's name for it
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.server.posts.append((body, {k.lower(): v for k, v in self.headers.items()}))  # type: ignore[attr-defined]
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass


def uv_on_path(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """The guide says `uv run`, as the README does; where `uv` is only a module of python3 (as the
    Makefile installs it), a shim stands in for the command."""
    found = subprocess.run(["sh", "-c", "command -v uv"], env=env, capture_output=True).returncode == 0
    if found:
        return env
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "uv").write_text('#!/bin/sh\nexec python3 -m uv "$@"\n')
    (shims / "uv").chmod(0o755)
    return env | {"PATH": f"{shims}:{env['PATH']}"}


def on_our_ports(block: str, where: dict[str, int], nats_port: int, endpoint: int, var: Path) -> str:
    """The guide's block with the ports this test started on instead of the defaults it names."""
    defaults = {8000: where[HUB], **{port: where[name] for name, port in SERVICES.items()}}
    for default, port in defaults.items():
        block = block.replace(f"127.0.0.1:{default}/", f"127.0.0.1:{port}/")
    block = block.replace("nats://127.0.0.1:4222", f"nats://127.0.0.1:{nats_port}")
    block = block.replace("127.0.0.1:9000/", f"127.0.0.1:{endpoint}/")
    return block.replace("var/nats-auth/", f"{var}/nats-auth/")


async def max_age_of(stream: str, nats_port: int, var: Path) -> float:
    password = json.loads((var / "nats-auth" / "credentials.json").read_text())["partner"]
    bus = await nats.connect(
        f"nats://127.0.0.1:{nats_port}", user="partner", password=password, inbox_prefix="_INBOX_partner"
    )
    try:
        return (await bus.jetstream().stream_info(stream)).config.max_age
    finally:
        await bus.close()


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_a_new_partner_follows_the_guide_from_make_up_to_a_verified_webhook(tmp_path):
    guide = GUIDE.read_text()
    start, *steps = blocks(section(guide, LOCAL), "sh")
    verifying: dict = {}
    for code in blocks(section(guide, WEBHOOKS), "python"):
        exec(code, verifying)  # the guide's own verification code, as a partner copies it
    verifiers = [verifying["verified"], verifying["verified_by_hand"]]

    # `make up` as the guide starts it: its variables, on ports free here
    *assignments, make, target = shlex.split(start.strip())
    assert (make, target) == ("make", "up") and all("=" in a for a in assignments), start
    var, nats_port, where = tmp_path / "var", free_port(), ports(free_base_port())
    options = ["--var", str(var), "--nats-port", str(nats_port), "--mongodb-port", str(free_port())]
    options += ["--mail-port", str(free_port()), "--base-port", str(where[HUB])]
    extra = dict(assignment.split("=", 1) for assignment in assignments)
    up = Terminal(["make", "--no-print-directory", "up", f"UP_ARGS={' '.join(options)}"], shell_env(**extra))
    endpoint = Endpoint()
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    try:
        lines = up.wait_for("all five services ready", "could not start", timeout=240)
        assert any("all five services ready" in line for line in lines), "\n".join(lines)

        # every other block, in order, in one shell (its variables carry on), as typed in the second terminal
        script = ["set -euo pipefail"]
        for n, block in enumerate(steps):
            script += [f"printf '\\n::step {n}\\n'", on_our_ports(block, where, nats_port, endpoint.server_port, var)]
        env = uv_on_path(tmp_path, shell_env())
        run = subprocess.run(
            ["bash", "-c", "\n".join(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert run.returncode == 0, run.stdout + run.stderr
        said = dict(re.findall(r"(?ms)^::step (\d+)\n(.*?)(?=^::step |\Z)", run.stdout))
        outputs = [said.get(str(n), "").strip() for n in range(len(steps))]

        def output_of(*words: str, without: str = "\0") -> list[str]:
            chosen = zip(steps, outputs, strict=True)
            return [out for step, out in chosen if all(w in step for w in words) and without not in step]

        # 2. the referral was taken
        [posted] = output_of("/referrals")
        referral = json.loads(posted)
        # 3. the partner's own consumer read its referral.created: ids only, occurred_at in UTC as `Z`
        [live] = output_of("partner_consumer.py", without="--durable")
        [event] = json_lines(live)
        assert event["type"] == "referral.created" and event["correlation_id"] == referral["id"]
        assert event["producer"] == "referrals" and event["occurred_at"].endswith("Z")
        assert "@" not in live
        # §3: "Events are kept for 30 days (`max_age`)", as the partner can read from the stream itself
        assert asyncio.run(max_age_of("REFERRALS", nats_port, var)) == timedelta(days=30).total_seconds()
        # 4. both replays read the same event again, into consumers of the partner's own
        [replays] = output_of("--durable partner-partner-1")
        assert [e["event_id"] for e in json_lines(replays)] == [event["event_id"]] * 2
        # 5. the webhook was registered over http://, with its secret, and the replay queued the letters
        [registered] = output_of("/webhooks -H", without=" -i http")
        webhook = json_lines(registered)[0]
        assert webhook["url"].startswith("http://127.0.0.1:") and webhook["secret"].startswith("whsec_")
        # a retry of it (same key and body) is safe: the same answer, secret included, marked replayed
        [retried] = output_of(" -i http")
        assert json_lines(retried) == [webhook] and "idempotent-replayed: true" in retried.lower(), retried
        [replayed] = output_of("/replay")
        assert json.loads(replayed)["events"] >= 1, replayed

        deadline = time.monotonic() + 90
        while not endpoint.posts and time.monotonic() < deadline:
            time.sleep(0.5)
        assert endpoint.posts, "no webhook arrived"
        for body, headers in endpoint.posts:
            for verify in verifiers:  # the guide's code, both ways
                sent = verify(body, headers, webhook["secret"])
                assert sent["type"] == "notification.sent" and sent["event_id"] == headers["webhook-id"]
                assert sent["occurred_at"].endswith("Z")  # as on the stream
                assert "@" not in body.decode()  # never contact details
                # signed properly, but 6 minutes ago: only the timestamp window can refuse it
                then = datetime.fromtimestamp(int(headers["webhook-timestamp"]) - 6 * 60, UTC)
                resigned = Webhook(webhook["secret"]).sign(headers["webhook-id"], then, body.decode())
                stale = headers | {"webhook-timestamp": str(int(then.timestamp())), "webhook-signature": resigned}
                for forged, changed in (
                    ((body.replace(b"notification", b"notificatiom"), headers), "a changed body"),
                    ((body, stale), "a timestamp 6 minutes old"),
                ):
                    try:
                        verify(*forged, webhook["secret"])
                    except Exception:  # each way raises its own error
                        pass
                    else:
                        raise AssertionError(f"{verify.__name__} accepted {changed}")
    finally:
        endpoint.shutdown()
        up.type_ctrl_c()
        up.process.wait(timeout=60)
        up.reader.join(timeout=5)
    assert up.process.returncode == 0, "\n".join(up.output)

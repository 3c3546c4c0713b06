"""Partners as data: deploy/nats/partners.json is the list, deploy/nats/auth.conf is rendered from it
(and from the release's services) by `make nats-config`, and regenerating never drops a partner
by accident."""

import json
import subprocess
import sys

from k8s_render import DEPLOY, by_prefix, one, pod_spec, render, secret_value

from ptfc import buspermissions

PARTNERS_FILE = DEPLOY / "nats" / "partners.json"
PTFC = [sys.executable, "-m", "ptfc.cli", "nats-config"]


def nats_config(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PTFC, *args], capture_output=True, text=True, timeout=120)


def test_each_partner_gets_a_live_consumer_and_replay_consumers_of_its_own():
    done = nats_config("--env-passwords", "--partners", str(PARTNERS_FILE))
    assert done.returncode == 0, done.stderr  # the same as auth.conf: test_stores.py checks it
    partners = buspermissions.load_partners(PARTNERS_FILE)
    assert "partner" not in partners  # no shared demo user in a deployment: each partner its own
    for name, streams in partners.items():
        for stream in streams:  # a live consumer and replay consumers, each its own
            for durable in (f"partner-{name}", f"partner-{name}-1", f"partner-{name}-3"):
                assert f'"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"' in done.stdout


def test_each_partners_password_comes_from_the_partners_secret():
    nats = one(render("nats"), "StatefulSet", "nats")
    container = pod_spec(nats)["containers"][0]
    assert {"secretRef": {"name": "nats-partners"}} in container["envFrom"]
    dev = render("overlays/dev")
    secret = by_prefix(dev, "Secret", "nats-partners")["metadata"]["name"]
    for name in buspermissions.load_partners(PARTNERS_FILE):
        assert secret_value(dev, secret, "NATS_PASSWORD_" + name.upper().replace("-", "_"))


def test_regenerating_never_drops_a_partner_unless_told(tmp_path):
    previous = str(DEPLOY / "nats" / "auth.conf")
    fewer = tmp_path / "partners.json"
    fewer.write_text(json.dumps({"partners": [{"name": "court-system", "streams": ["REFERRALS"]}]}))
    dropped = nats_config("--env-passwords", "--partners", str(fewer), "--previous", previous)
    assert dropped.returncode == 2 and "cafcass-cms" in dropped.stderr and not dropped.stdout
    removed = nats_config(
        "--env-passwords", "--partners", str(fewer), "--previous", previous, "--remove", "cafcass-cms"
    )
    assert removed.returncode == 0, removed.stderr
    assert buspermissions.rendered_users(removed.stdout) >= {"court-system"}
    assert "cafcass-cms" not in removed.stdout
    # deploy without a partners file would render the local demo partner in place of the real ones
    assert nats_config("--env-passwords").returncode == 2


def test_a_partners_file_that_would_render_a_wrong_configuration_is_refused(tmp_path):
    bad = tmp_path / "partners.json"
    for entry in (
        {"name": "Cafcass CMS", "streams": ["REFERRALS"]},  # not one NATS token
        {"name": "referrals", "streams": ["REFERRALS"]},  # a service's identity
        {"name": "court", "streams": ["SECRETS"]},  # no such stream
        {"name": "court", "streams": ["REFERRALS"], "webhooks": [{"url": "http://x", "event_types": ["plan.agreed"]}]},
    ):
        bad.write_text(json.dumps({"partners": [entry]}))
        done = nats_config("--env-passwords", "--partners", str(bad))
        assert done.returncode != 0 and not done.stdout, entry

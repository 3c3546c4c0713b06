"""NATS passwords rotate with overlap (docs/operations.md, "Rotating keys"): every identity in the
deployed auth.conf has two users, `<name>` and `<name>-next`, with the same permissions and each
its own password, and the servers are given both passwords of every identity. A real nats-server
runs the pair in tests/integration/test_bus_rotation.py."""

import json
import re
import subprocess
import sys

from k8s_render import BACKENDS, DEPLOY, by_prefix, one, pod_spec, render, secret_value

from ptfc import buspermissions

PARTNERS = buspermissions.load_partners(DEPLOY / "nats" / "partners.json")
IDENTITIES = [*BACKENDS, "streams-admin", *PARTNERS]


def entries(auth: str) -> dict[str, tuple[str, str]]:
    """user → (its password, the rest of its entry: the permissions)."""
    found = re.findall(r'^\s*\{user: "([^"]+)", password: (\$\w+)(.*)$', auth, re.M)
    return {user: (password, rest.removesuffix("}").removeprefix(", ")) for user, password, rest in found}


def test_every_identity_has_a_second_user_with_the_same_permissions_and_its_own_password():
    users = entries((DEPLOY / "nats" / "auth.conf").read_text())
    assert set(users) == {u for identity in IDENTITIES for u in buspermissions.slots(identity)}
    for identity in IDENTITIES:
        (password, permissions), (next_password, next_permissions) = (users[u] for u in buspermissions.slots(identity))
        assert next_permissions == permissions, identity  # exactly the same rights, byte for byte
        assert (identity == "streams-admin") == (permissions == "")  # only the streams Job has no limits
        assert password == "$" + buspermissions.password_variable(identity)
        assert next_password == "$" + buspermissions.password_variable(identity + "-next") != password


def test_the_servers_are_given_both_passwords_of_every_identity():
    container = pod_spec(one(render("nats"), "StatefulSet", "nats"))["containers"][0]
    given = {
        e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})
    }
    for identity in [*BACKENDS, "streams-admin"]:
        for user in buspermissions.slots(identity):
            assert given[buspermissions.password_variable(user)] == {"name": "nats-users", "key": user}
    # partners' come whole from nats-partners (envFrom): the dev overlay has both keys of each
    dev = render("overlays/dev")
    users, partners = (by_prefix(dev, "Secret", name)["metadata"]["name"] for name in ("nats-users", "nats-partners"))
    for identity in [*BACKENDS, "streams-admin"]:
        assert len({secret_value(dev, users, u) for u in buspermissions.slots(identity)}) == 2
    for partner in PARTNERS:
        values = {
            secret_value(dev, partners, buspermissions.password_variable(u)) for u in buspermissions.slots(partner)
        }
        assert len(values) == 2 and all(values)


def test_a_partner_name_that_would_be_another_partners_second_user_is_refused(tmp_path):
    bad = tmp_path / "partners.json"
    for partners in (
        [{"name": "court-next", "streams": ["REFERRALS"]}],  # would be court's second user
        [{"name": "court", "streams": ["REFERRALS"]}, {"name": "court-next", "streams": ["LEARNING"]}],
        [{"name": "referrals-next", "streams": ["REFERRALS"]}],
    ):
        bad.write_text(json.dumps({"partners": partners}))
        done = subprocess.run(
            [sys.executable, "-m", "ptfc.cli", "nats-config", "--env-passwords", "--partners", str(bad)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0 and not done.stdout and "-next" in done.stderr, partners


def test_removing_a_partner_drops_both_its_users_and_only_when_told(tmp_path):
    previous = DEPLOY / "nats" / "auth.conf"
    assert {"cafcass-cms", "cafcass-cms-next"} <= buspermissions.rendered_users(previous.read_text())
    # the running configuration's second users are not partners of their own to keep
    assert buspermissions.removed_partners(previous.read_text(), PARTNERS, set()) == set()
    assert buspermissions.removed_partners(previous.read_text(), {}, set()) == {"cafcass-cms"}
    assert buspermissions.removed_partners(previous.read_text(), {}, {"cafcass-cms"}) == set()


def test_the_rotation_runbook_sets_the_password_the_user_it_moves_to_reads():
    """docs/operations.md's steps, as written: step 1 patches the Secret key whose value the servers
    give the free slot's user, and step 3 moves the service's URL to that same user."""
    operations = (DEPLOY.parent / "docs" / "operations.md").read_text()
    start = operations.index("- **NATS passwords**")
    runbook = operations[start : operations.index("\n- **", start + 1)]
    secret, key = re.search(r"patch secret ([\w-]+) .*?stringData\\\":\{\\\"([\w-]+)\\\"", runbook).groups()
    url_user = re.search(r"`tls://([\w-]+):<the new password>@nats:4222`", runbook).group(1)
    assert key == url_user == "referrals-next"
    container = pod_spec(one(render("nats"), "StatefulSet", "nats"))["containers"][0]
    given = {e["name"]: e["valueFrom"].get("secretKeyRef") for e in container["env"] if "valueFrom" in e}
    assert given[buspermissions.password_variable(url_user)] == {"name": secret, "key": key}
    users = entries((DEPLOY / "nats" / "auth.conf").read_text())
    assert users[url_user][0] == "$" + buspermissions.password_variable(url_user)
    # and a partner's keys, as the runbook names them, are the variables its two users read
    partner_keys = re.findall(r"`(NATS_PASSWORD_COURT_SYSTEM\w*)`", runbook)
    assert partner_keys == [buspermissions.password_variable(u) for u in buspermissions.slots("court-system")]

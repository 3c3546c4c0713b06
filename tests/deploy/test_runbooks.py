"""docs/operations.md's runbooks, followed as written where they change the repository: adding and
removing a partner with the Makefile's own `nats-config` command."""

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from k8s_render import DEPLOY, ROOT

from ptfc import buspermissions

OPERATIONS = (ROOT / "docs" / "operations.md").read_text()


def section(title: str) -> str:
    start = OPERATIONS.index(f"\n## {title}\n")
    return OPERATIONS[start : OPERATIONS.index("\n## ", start + 1)]


def make_nats_config(workdir: Path, remove: str = "") -> subprocess.CompletedProcess:
    """The Makefile's `nats-config` recipe, run in `workdir` (a copy of deploy/nats), with REMOVE."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^nats-config:.*\n\t(.*)\n", makefile, re.M).group(1)
    command = recipe.split(" > ")[0].replace("$(UV) run ptfc", f"{sys.executable} -m ptfc.cli")
    command = command.replace("$(REMOVE)", remove).replace("deploy/nats/", f"{workdir}/")
    done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=120)
    if done.returncode == 0:
        (workdir / "auth.conf").write_text(done.stdout)
    return done


def users(auth: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'\{user: "([^"]+)".*', auth)}


def test_adding_and_removing_a_partner_as_the_runbook_says(tmp_path):
    runbook = section("Adding and removing a partner")
    adding, removing = runbook.split("Removing partner `court-system`:")
    work = tmp_path / "nats"
    shutil.copytree(DEPLOY / "nats", work)
    # this release's configuration first (test_stores checks the committed one is the same)
    assert make_nats_config(work).returncode == 0
    before = users((work / "auth.conf").read_text())

    # 1. the entry, as given, into the partners list
    entry = json.loads(re.search(r"```json\n(.*?)```", adding, re.S).group(1))
    partners = json.loads((work / "partners.json").read_text())
    partners["partners"].append(entry)
    (work / "partners.json").write_text(json.dumps(partners))
    # 2. make nats-config: its two users (`<name>`, `<name>-next`), every other line as it was
    done = make_nats_config(work)
    assert done.returncode == 0, done.stderr
    after = users((work / "auth.conf").read_text())
    new_users = buspermissions.slots(entry["name"])
    assert set(after) - set(before) == set(new_users) and before.items() <= after.items()
    # 3. their passwords are the Secret's keys the runbook patches in, the ones the users read
    keys = re.findall(r"NATS_PASSWORD_[A-Z_]+", adding.split("\n3. ", 1)[1].split("\n4. ", 1)[0])
    assert keys == [buspermissions.password_variable(user) for user in new_users]
    for user, key in zip(new_users, keys, strict=True):
        assert f"password: ${key}" in after[user]
    assert buspermissions.load_partners(work / "partners.json")[entry["name"]] == entry["streams"]

    # removing: the entry out, then make nats-config refuses without REMOVE, and drops it with it
    partners["partners"].remove(entry)
    (work / "partners.json").write_text(json.dumps(partners))
    refused = make_nats_config(work)
    assert refused.returncode == 2 and entry["name"] in refused.stderr
    assert entry["name"] in users((work / "auth.conf").read_text())  # nothing was written
    remove = re.search(r'make nats-config REMOVE="([^"]+)"', removing).group(1)
    done = make_nats_config(work, remove)
    assert done.returncode == 0, done.stderr
    assert users((work / "auth.conf").read_text()) == before

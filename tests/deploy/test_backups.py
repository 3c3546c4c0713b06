"""Backups for restore to a point in time, as the prod overlay runs them: the scripts of the rendered
ConfigMap run here with the real `age` and stand-ins for the MongoDB tools and rclone (no MongoDB
server or object store here): what reaches the object store is encrypted to a key the cluster does
not hold, the oplog slices follow one another, and a restore picks the dump and the slices a moment
needs. The manifests: CronJobs as a user that is not root, a restore Job given, and policies that
let exactly these through."""

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from k8s_render import by_prefix, find, one, pod_spec, render

PUBLIC_ADDRESSES = {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]}
DUMP = b"referrals MA24P00123 parent contact sealed, ids in clear\n"

# rclone's commands the scripts use, against a folder: `offsite:PATH` is STORE/PATH.
RCLONE = """
import fnmatch, json, os, sys
store = os.environ["STORE"]
def local(remote):
    assert remote.startswith("offsite:"), remote
    return os.path.join(store, remote[len("offsite:"):])
command, args = sys.argv[1], [a for a in sys.argv[2:] if a.startswith("offsite:")]
if command == "rcat":
    os.makedirs(os.path.dirname(local(args[0])), exist_ok=True)
    open(local(args[0]), "wb").write(sys.stdin.buffer.read())
elif command == "cat":
    if not os.path.exists(local(args[0])):
        sys.exit(3)
    sys.stdout.buffer.write(open(local(args[0]), "rb").read())
elif command == "moveto":
    os.rename(local(args[0]), local(args[1]))
elif command == "size":
    print(json.dumps({"count": 1, "bytes": os.path.getsize(local(args[0]))}))
elif command == "lsf":
    include = sys.argv[sys.argv.index("--include") + 1] if "--include" in sys.argv else "*"
    folder = local(args[0])
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if fnmatch.fnmatch(name, include):
            print(name)
else:
    sys.exit(f"rclone stand-in: {command}?")
"""
# mongodump writes DUMP (what a dump of the referrals holds) and logs its arguments; mongosh answers
# the oplog's newest (or oldest) timestamp from $OPLOG_NEWEST / $OPLOG_OLDEST; mongorestore logs
# its arguments and the bytes it was given.
MONGODUMP = f"""
import os, sys
open(os.environ["LOG"], "a").write("mongodump " + " ".join(sys.argv[1:]) + "\\n")
sys.stdout.buffer.write({DUMP!r})
sys.exit(1 if os.environ.get("DUMP_FAILS") else 0)  # (having written part of a dump)
"""
MONGOSH = """
import os, sys
script = sys.argv[-1]
print(os.environ["OPLOG_NEWEST"] if "$natural: -1" in script else os.environ["OPLOG_OLDEST"])
"""
MONGORESTORE = """
import os, sys
args = sys.argv[1:]
given = open(args[args.index("--oplogFile") + 1], "rb").read() if "--oplogFile" in args else sys.stdin.buffer.read()
open(os.environ["LOG"], "a").write("mongorestore " + " ".join(args) + " <- " + given.decode() + "\\n")
"""


def tools(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, source in {
        "rclone": RCLONE,
        "mongodump": MONGODUMP,
        "mongosh": MONGOSH,
        "mongorestore": MONGORESTORE,
    }.items():
        (bin_dir / name).write_text(f"#!{sys.executable}\n{source}")
        (bin_dir / name).chmod(0o755)
    store, log = tmp_path / "store", tmp_path / "log"
    store.mkdir()
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "STORE": str(store), "LOG": str(log), "HOME": str(tmp_path)}


def keys(tmp_path: Path) -> tuple[Path, Path]:
    """An age key pair: the identity stays with operations, the recipient goes to the cluster."""
    assert shutil.which("age-keygen"), "age is not installed: apt-get install age (.ci/run does)"
    identity = tmp_path / "identity"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True)
    (tmp_path / "recipients").write_text(recipient.stdout)
    return identity, tmp_path / "recipients"


def script(name: str, tmp_path: Path) -> Path:
    path = tmp_path / name
    path.write_text(by_prefix(render("overlays/prod"), "ConfigMap", "mongo-backup-scripts")["data"][name])
    return path


def run(path: Path, env: dict[str, str], *args: str, fails: bool = False) -> subprocess.CompletedProcess:
    base = {"MONGO_HOSTS": "mongo-0.mongo:27017", "BACKUP_PASSWORD": "b", "OFFSITE_PATH": "ptfc-backups/prod"}
    done = subprocess.run(["bash", str(path), *args], env=base | env, capture_output=True, text=True, timeout=60)
    assert (done.returncode != 0) == fails, done.stderr
    return done


def decrypt(path: Path, identity: Path) -> bytes:
    return subprocess.run(
        ["age", "--decrypt", "--identity", str(identity), str(path)], check=True, capture_output=True
    ).stdout


def test_a_full_dump_leaves_the_cluster_encrypted_to_a_key_the_cluster_does_not_hold(tmp_path):
    env = tools(tmp_path)
    identity, recipients = keys(tmp_path)
    run(script("backup.sh", tmp_path), env | {"RECIPIENTS": str(recipients)}, "full")
    [sent] = (Path(env["STORE"]) / "ptfc-backups" / "prod" / "full").iterdir()
    assert sent.name.startswith("ptfc-") and sent.name.endswith(".archive.gz.age")
    stored = sent.read_bytes()
    assert stored.startswith(b"age-encryption.org/v1") and b"MA24P00123" not in stored
    assert decrypt(sent, identity) == DUMP  # operations' key opens it
    # consistent across the set (the oplog during the dump) and read as the backup user, not root
    dumped = Path(env["LOG"]).read_text()
    assert "--oplog" in dumped and "mongodb://backup:b@" in dumped and "readPreference=secondaryPreferred" in dumped


def test_a_dump_that_fails_half_way_fails_the_job_and_is_never_taken_for_a_backup(tmp_path):
    env = tools(tmp_path)
    _, recipients = keys(tmp_path)
    backup = script("backup.sh", tmp_path)
    env |= {"RECIPIENTS": str(recipients), "DUMP_FAILS": "1", "OPLOG_OLDEST": "1:1", "OPLOG_NEWEST": "9:1"}
    run(backup, env, "full", fails=True)
    run(backup, env, "oplog", fails=True)
    prod = Path(env["STORE"]) / "ptfc-backups" / "prod"
    assert not list(prod.rglob("*.age")), "a partial dump is named as a backup"
    assert not (prod / "oplog" / "LAST").exists()  # the next slice starts where the last good one ended


def test_oplog_slices_follow_one_another_from_where_the_last_one_ended(tmp_path):
    env = tools(tmp_path)
    identity, recipients = keys(tmp_path)
    backup = script("backup.sh", tmp_path)
    # (the oldest entry held, less a second: what the script's query answers for an oldest of 1765000000:1)
    env |= {"RECIPIENTS": str(recipients), "OPLOG_OLDEST": "1764999999:1"}
    run(backup, env | {"OPLOG_NEWEST": "1765000900:4"}, "oplog")
    run(backup, env | {"OPLOG_NEWEST": "1765001800:2"}, "oplog")
    folder = Path(env["STORE"]) / "ptfc-backups" / "prod" / "oplog"
    slices = sorted(p.name for p in folder.iterdir() if p.name != "LAST")
    assert slices == [
        "ptfc-oplog-1764999999.1-1765000900.4.bson.gz.age",  # the first: what the oplog still held
        "ptfc-oplog-1765000900.4-1765001800.2.bson.gz.age",
    ]
    assert (folder / "LAST").read_text() == "1765001800:2"
    queries = [line for line in Path(env["LOG"]).read_text().splitlines() if "oplog.rs" in line]
    assert '"$gt": {"$timestamp": {"t": 1765000900, "i": 4}}' in queries[1]
    assert '"$lte": {"$timestamp": {"t": 1765001800, "i": 2}}' in queries[1]
    # the oplog rolled past the last slice (the CronJob down for longer than the oplog's window): a gap
    gap = run(backup, env | {"OPLOG_OLDEST": "1765002000:1", "OPLOG_NEWEST": "1765009000:1"}, "oplog", fails=True)
    assert "oplog gap" in gap.stderr and (folder / "LAST").read_text() == "1765001800:2"
    assert b"MA24P00123" not in (folder / slices[0]).read_bytes()
    assert subprocess.run(["gunzip"], input=decrypt(folder / slices[0], identity), capture_output=True).stdout == DUMP


def test_a_restore_to_a_moment_replays_the_dump_before_it_and_the_slices_up_to_it(tmp_path):
    """Dumps at 02:30 on the 6th and 7th, slices every 15 minutes; restoring to 05:20 on the 7th
    takes the 7th's dump and the slices from it to 05:20, and stops the replay at 05:20."""
    env = tools(tmp_path)
    identity, recipients = keys(tmp_path)
    prod = Path(env["STORE"]) / "ptfc-backups" / "prod"

    def put(name: str, content: bytes, gzip: bool = False) -> None:
        (prod / name).parent.mkdir(parents=True, exist_ok=True)
        data = subprocess.run(["gzip"], input=content, capture_output=True).stdout if gzip else content
        sealed = subprocess.run(["age", "-R", str(recipients)], input=data, capture_output=True, check=True).stdout
        (prod / name).write_bytes(sealed)

    put("full/ptfc-20261206T023000Z.archive.gz.age", b"dump of the 6th")
    put("full/ptfc-20261207T023000Z.archive.gz.age", b"dump of the 7th")
    put("full/ptfc-20261207T040000Z.archive.gz.age.partial", b"a dump that failed half way")  # never used

    def at(hhmm: str) -> int:
        return int(dt.datetime.fromisoformat(f"2026-12-07T{hhmm}:00+00:00").timestamp())

    for start, end in [("02:15", "02:45"), ("05:15", "05:30"), ("05:30", "05:45")]:
        put(f"oplog/ptfc-oplog-{at(start)}.1-{at(end)}.1.bson.gz.age", f"oplog {start}-{end}".encode(), gzip=True)
    restore = script("restore.sh", tmp_path)
    until = "2026-12-07T05:20:00Z"
    env |= {"IDENTITY": str(identity), "RESTORE_UNTIL": until, "ROOT_USERNAME": "root", "ROOT_PASSWORD": "r"}
    done = run(restore, env)
    assert f"restored to {until}" in done.stdout
    restored = Path(env["LOG"]).read_text().splitlines()
    limit = f"--oplogLimit {at('05:20')}:0"  # exclusive
    assert restored[0].endswith("<- dump of the 7th") and "--oplogReplay" in restored[0] and limit in restored[0]
    assert [line.rsplit("<- ", 1)[1] for line in restored[1:]] == ["oplog 02:15-02:45", "oplog 05:15-05:30"]
    assert all(limit in line for line in restored[1:])


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return workload["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]


def test_the_backups_run_as_the_backup_user_on_a_schedule_and_the_restore_only_by_hand():
    prod = render("overlays/prod")
    full, oplog = one(prod, "CronJob", "mongo-backup"), one(prod, "CronJob", "mongo-backup-oplog")
    assert full["spec"]["schedule"] == "30 2 * * *" and oplog["spec"]["schedule"] == "*/15 * * * *"
    for cronjob in (full, oplog):
        [container] = pod_spec(cronjob)["containers"]
        env = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in container["env"]}
        assert env["BACKUP_PASSWORD"] == {"name": "mongodb-backup", "key": "password"}
        assert "ROOT_PASSWORD" not in env
        secrets = {v["secret"]["secretName"] for v in pod_spec(cronjob)["volumes"] if "secret" in v}
        assert "mongo-backup-identity" not in secrets  # the private key is never in the cluster
    restore = one(prod, "CronJob", "mongo-restore")
    assert restore["spec"]["suspend"] is True
    secrets = {v["secret"]["secretName"] for v in pod_spec(restore)["volumes"] if "secret" in v}
    assert "mongo-backup-identity" in secrets
    # no backup volume in the cluster any more: the dumps stream to the object store
    assert not find(prod, "PersistentVolumeClaim")


@pytest.mark.parametrize("name", ["mongo-backup", "mongo-backup-oplog", "mongo-restore"])
def test_the_policies_let_the_backups_and_the_restore_reach_the_members_and_the_object_store_only(name):
    prod = render("overlays/prod")
    labels = pod_labels(one(prod, "CronJob", name))
    # the members admit them
    [clients] = [
        r
        for r in one(prod, "NetworkPolicy", "mongo")["spec"]["ingress"]
        if {"protocol": "TCP", "port": 27017} in r["ports"]
    ]
    assert any(labels.items() >= peer["podSelector"]["matchLabels"].items() for peer in clients["from"])
    [policy] = [
        p for p in find(prod, "NetworkPolicy") if p["spec"]["podSelector"].get("matchLabels") == {"app": labels["app"]}
    ]
    spec = policy["spec"]
    assert set(spec["policyTypes"]) == {"Ingress", "Egress"} and not spec.get("ingress")
    reached = {tuple(sorted(p["port"] for p in rule["ports"])): rule["to"] for rule in spec["egress"]}
    assert reached == {
        (53, 53): [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
        (27017,): [{"podSelector": {"matchLabels": {"app": "mongo"}}}],
        (443,): [{"ipBlock": PUBLIC_ADDRESSES}],
    }

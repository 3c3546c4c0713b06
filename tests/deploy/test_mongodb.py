"""MongoDB as the prod overlay runs it: every connection over TLS (the members require it, with the
certificate from the Secret mongodb-tls; every client checks it against mongodb-ca), and an
exporter beside each member, scraped like the services, reading as a user of its own."""

import re
from pathlib import Path
from typing import Any

import pytest
from k8s_render import BACKENDS, DEPLOY, ROOT, by_prefix, one, pod_spec, render, run_init_container
from pymongo.uri_parser import parse_uri

CA_SECRET = "mongodb-ca"


def mounts(workload: dict[str, Any], container: dict[str, Any]) -> dict[str, str]:
    """mount path → the Secret behind it ('' for any other volume)."""
    volumes = {v["name"]: v for v in pod_spec(workload)["volumes"]}
    return {
        m["mountPath"]: (volumes.get(m["name"], {}).get("secret") or {}).get("secretName", "")
        for m in container.get("volumeMounts", [])
    }


def expanded(container: dict[str, Any], value: str) -> str:
    """`value` with $(NAME) replaced as Kubernetes does, from the container's literal variables."""
    env = {e["name"]: e.get("value", f"<{e['name']}>") for e in container.get("env", [])}
    return re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), value)


def checked_uri(uri: str, workload: dict[str, Any], container: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The options of a connection string, validated by PyMongo, after checking its CA file is the
    cluster's CA mounted in the container (PyMongo opens it, so it reads a stand-in here)."""
    ca = re.search(r"tlsCAFile=([^&]+)", uri)
    assert ca, f"{workload['metadata']['name']}: no tlsCAFile in {uri}"
    assert mounts(workload, container)[str(Path(ca.group(1)).parent)] == CA_SECRET, workload["metadata"]["name"]
    (tmp_path / "ca.crt").write_text("stand-in")
    return parse_uri(uri.replace(ca.group(1), str(tmp_path / "ca.crt")))["options"]


def test_the_members_require_tls_with_the_certificate_from_its_secret(tmp_path):
    prod = render("overlays/prod")
    mongo = one(prod, "StatefulSet", "mongo")
    server = pod_spec(mongo)["containers"][0]
    args = server["args"]
    assert args[args.index("--tlsMode") + 1] == "requireTLS"
    pem, ca = args[args.index("--tlsCertificateKeyFile") + 1], args[args.index("--tlsCAFile") + 1]
    assert mounts(mongo, server)[str(Path(ca).parent)] == "mongodb-tls"
    # mongod reads certificate and key from one file: the init container writes it from the Secret
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "tls.crt").write_text("-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n")
    (secret / "tls.key").write_text("-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n")
    [init] = [c for c in pod_spec(mongo)["initContainers"] if c["name"] == "tls"]
    assert mounts(mongo, init)["/etc/mongo-tls-secret"] == "mongodb-tls"
    run_init_container(mongo, "tls", {}, {"/etc/mongo-tls-secret": secret, str(Path(pem).parent): tmp_path})
    written = (tmp_path / Path(pem).name).read_text()
    assert "BEGIN CERTIFICATE" in written and "BEGIN PRIVATE KEY" in written
    # the readiness probe speaks TLS too (it would be refused otherwise, and the member never ready)
    probe = " ".join(server["readinessProbe"]["exec"]["command"])
    assert "$MONGOSH_TLS" in probe and expanded(server, "$(MONGOSH_TLS)") == "--tls --tlsCAFile /etc/mongo-ca/ca.crt"
    assert mounts(mongo, server)["/etc/mongo-ca"] == CA_SECRET
    # development stays plain
    dev = pod_spec(one(render("overlays/dev"), "StatefulSet", "mongo"))["containers"][0]
    assert "--tlsMode" not in dev["args"]


GIB = 1024**3
YEAR_OF_REFERRALS = 1.3 * 10**9  # the store's size at 12,000 referrals (bench/README.md, fourth run)


def gib(quantity: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(Mi|Gi)", quantity).groups()
    return float(number) * (1024**2 if unit == "Mi" else GIB) / GIB


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_each_member_caches_a_year_of_referrals_within_its_memory(overlay):
    """mongod's default cache is half of (the limit less 1 GiB): 0.5 GiB at 2 GiB, which a year of
    referrals outgrows, and evicting under load cost intake 1.4x. So the cache is set, holds a year,
    and leaves room in the limit for connections and the rest of mongod."""
    server = pod_spec(one(render(f"overlays/{overlay}"), "StatefulSet", "mongo"))["containers"][0]
    args = server["args"]
    assert "--wiredTigerCacheSizeGB" in args, f"{overlay}: mongod's cache left to its default"
    cache = float(args[args.index("--wiredTigerCacheSizeGB") + 1])
    assert cache * GIB >= YEAR_OF_REFERRALS
    assert cache + 1.5 <= gib(server["resources"]["limits"]["memory"])
    assert gib(server["resources"]["requests"]["memory"]) > cache


def test_every_client_connects_over_tls_and_checks_the_cluster_ca(tmp_path):
    prod = render("overlays/prod")
    # the init Job and the exporter build their connection strings in the manifest
    init = one(prod, "Job", "mongo-init")
    [container] = pod_spec(init)["containers"]
    uri = re.search(r'"(mongodb://[^"]+)"', container["args"][0]).group(1)
    assert checked_uri(expanded(container, uri), init, container, tmp_path)["tls"] is True
    mongo = one(prod, "StatefulSet", "mongo")
    exporter = next(c for c in pod_spec(mongo)["containers"] if c["name"] == "exporter")
    uri = next(e["value"] for e in exporter["env"] if e["name"] == "MONGODB_URI")
    assert checked_uri(expanded(exporter, uri), mongo, exporter, tmp_path)["tls"] is True
    # the services' connection strings are Secrets operations create from docs/operations.md: each
    # example there for production says tls=true and the CA each service mounts from mongodb-ca
    documented = re.findall(r"mongodb://[^\s'\"`)]+", (ROOT / "docs" / "operations.md").read_text())
    production = [u for u in documented if "mongo-0.mongo" in u and "replicaSet=rs0" in u]
    assert production, "docs/operations.md gives no connection string for the in-cluster replica set"
    for service in BACKENDS:
        deployment = one(prod, "Deployment", service)
        [container] = pod_spec(deployment)["containers"]
        for uri in production:
            uri = uri.replace("$P", "pw").replace("<password>", "pw")
            assert checked_uri(uri, deployment, container, tmp_path)["tls"] is True, uri


def test_an_exporter_beside_each_member_is_scraped_and_reads_as_its_own_user():
    for overlay in ("dev", "prod"):
        resources = render(f"overlays/{overlay}")
        mongo = one(resources, "StatefulSet", "mongo")
        exporter = next(c for c in pod_spec(mongo)["containers"] if c["name"] == "exporter")
        assert exporter["image"].split("@")[0].rsplit(":", 1)[0] == "percona/mongodb_exporter"
        [port] = [p["containerPort"] for p in exporter["ports"] if p["name"] == "metrics"]
        assert f"--web.listen-address=:{port}" in exporter["args"]
        annotations = mongo["spec"]["template"]["metadata"]["annotations"]
        assert annotations == {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(port),
            "prometheus.io/path": "/metrics",
        }
        ingress = one(resources, "NetworkPolicy", "mongo")["spec"]["ingress"]
        monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        assert [r["ports"] for r in ingress if monitoring in r["from"]] == [[{"protocol": "TCP", "port": port}]]
        # it reads as `exporter` (clusterMonitor), never root, with the password the init Job sets
        uri = next(e["value"] for e in exporter["env"] if e["name"] == "MONGODB_URI")
        assert uri.startswith("mongodb://exporter:$(EXPORTER_PASSWORD)@$(POD_NAME).mongo:27017/")
        secret = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in exporter["env"]}
        [init] = pod_spec(one(resources, "Job", "mongo-init"))["containers"]
        given = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in init["env"]}
        assert given["EXPORTER_PASSWORD"] == secret["EXPORTER_PASSWORD"]
        name = secret["EXPORTER_PASSWORD"]["name"]  # (dev: the generated Secret's name, with its hash)
        assert "mongodb-exporter" in (name, name.rsplit("-", 1)[0]) and secret["EXPORTER_PASSWORD"]["key"] == "password"
    script = by_prefix(render("mongodb"), "ConfigMap", "mongo-init")["data"]["init.js"]
    assert 'exporter: [{ role: "clusterMonitor", db: "admin" }' in script


@pytest.mark.parametrize("name", ["percona/mongodb_exporter", "natsio/prometheus-nats-exporter"])
def test_each_exporter_image_is_one_make_pin_digests_pins(name):
    """test_release checks what the prod overlay runs is pinned; this, that pin_digests knows it."""
    component = (DEPLOY / "overlays" / "prod" / "images" / "kustomization.yaml").read_text()
    assert f'"name": "{name}"' in component

"""The NATS servers among themselves, as the prod overlay runs them: routes that authenticate (the
route user's password, from the Secret nats-routes) over TLS with a certificate of their own (the
Secret nats-route-tls), checked by real nats-servers; a config reloader that can signal the server;
and the Prometheus exporter, scraped like the services."""

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from k8s_render import BACKENDS, DEPLOY, ROOT, by_prefix, nats_routes, one, pod_spec, render

from ptfc import buspermissions
from ptfc.dev.servers import free_port

NATS_SERVER = Path(sys.executable).parent / "nats-server"
PARTNERS = buspermissions.load_partners(DEPLOY / "nats" / "partners.json")


def containers(workload) -> dict:
    return {c["name"]: c for c in pod_spec(workload)["containers"]}


def mounted(container, volumes) -> dict[str, str]:
    """mount path → the Secret (or ConfigMap, or emptyDir) behind it."""
    out = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"], {})  # (none: the data volume claim)
        out[mount["mountPath"]] = (volume.get("secret") or {}).get("secretName") or mount["name"]
    return out


def start_server(tmp_path: Path, name: str, files: dict[str, str], routes: str, password: str, certs: Path, ports):
    """One server of the rendered prod configuration on free local ports: `ports` maps each pod
    (nats-0..2) to its route port; its routes.conf is the init container's, pointed at those."""
    etc = tmp_path / name / "nats"
    etc.mkdir(parents=True)
    (tmp_path / name / "nats-routes").mkdir()
    client, monitor = free_port(), free_port()
    for path, local in {
        "/etc/nats-tls/tls.crt": "server.pem",
        "/etc/nats-tls/tls.key": "server-key.pem",
        "/etc/nats-tls/ca.crt": "ca.pem",
        "/etc/nats-route-tls/tls.crt": "server.pem",
        "/etc/nats-route-tls/tls.key": "server-key.pem",
        "/etc/nats-route-tls/ca.crt": "ca.pem",
    }.items():
        files = {k: v.replace(path, str(certs / local)) for k, v in files.items()}
    conf = files["nats.conf"].replace("port: 4222", f"port: {client}").replace("http: 8222", f"http: {monitor}")
    conf = conf.replace("port: 6222", f"port: {ports[name]}").replace("store_dir: /data", f"store_dir: {etc}/js")
    for pod, port in ports.items():
        routes = routes.replace(f"@{pod}.nats-headless:6222", f"@127.0.0.1:{port}")
    (tmp_path / name / "nats-routes" / "routes.conf").write_text(routes)
    for file, text in {**files, "nats.conf": conf}.items():
        (etc / file).write_text(text)
    users = [u for identity in [*BACKENDS, "streams-admin", *PARTNERS] for u in buspermissions.slots(identity)]
    env = {"POD_NAME": name, "NATS_ROUTE_PASSWORD": password}
    env |= {buspermissions.password_variable(u): "x" for u in users}
    log = open(etc / "log", "w")  # noqa: SIM115 (closed with the process)
    command = [str(NATS_SERVER), "-c", str(etc / "nats.conf"), "--pid", str(etc / "nats.pid")]  # as the pod's args
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    return process, monitor, etc / "log"


def peers(monitor: int) -> set[str] | None:
    """The servers this one routes to (None while it is not answering yet)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/routez", timeout=2) as answer:
            return {r["remote_name"] for r in json.load(answer)["routes"] or []}
    except OSError:
        return None


def test_routes_authenticate_with_the_route_password_over_tls_with_their_own_certificate(tmp_path):
    prod = render("overlays/prod")
    nats = one(prod, "StatefulSet", "nats")
    files = by_prefix(prod, "ConfigMap", "nats-config")["data"]
    # the cluster block asks for the route user and its password, and TLS with verification
    assert re.search(r"authorization \{\s*user: route\s*password: \$NATS_ROUTE_PASSWORD", files["nats.conf"])
    assert re.search(r"^\s*verify: true", files["cluster-tls.conf"], re.M)
    server = containers(nats)["nats"]
    env = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in server["env"]}
    assert env["NATS_ROUTE_PASSWORD"] == {"name": "nats-routes", "key": "password"}
    volumes = {v["name"]: v for v in pod_spec(nats)["volumes"]}
    paths = dict(re.findall(r"^\s*(cert_file|key_file|ca_file):\s*/etc/([\w-]+)/", files["cluster-tls.conf"], re.M))
    assert set(paths) == {"cert_file", "key_file", "ca_file"}
    # the routes' certificate is a Secret of its own, not the one partners and services see on 4222
    assert {mounted(server, volumes)[f"/etc/{d}"] for d in paths.values()} == {"nats-route-tls"}

    # real servers: two with the right password route to each other; one with another is refused
    sys.path.insert(0, str(ROOT / "tests" / "integration"))
    from test_bus_security import certificates

    certs = tmp_path / "certs"
    certs.mkdir()
    certificates(certs)
    ports = {f"nats-{i}": free_port() for i in range(3)}
    started = []
    try:
        for name, password in (("nats-0", "right"), ("nats-1", "right"), ("nats-2", "wrong")):
            routes = nats_routes(nats, password, tmp_path / f"routes-{name}")
            started.append(start_server(tmp_path, name, files, routes, password, certs, ports))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            routed = [peers(monitor) for _, monitor, _ in started]
            if routed[:2] == [{"nats-1"}, {"nats-0"}]:
                break
            time.sleep(0.2)
        assert routed[:2] == [{"nats-1"}, {"nats-0"}], [log.read_text()[-2000:] for _, _, log in started]
        time.sleep(1)  # the third has tried (and been refused) meanwhile
        assert peers(started[2][1]) == set()
        assert "Authentication Failure" in started[0][2].read_text() + started[2][2].read_text()
        # the pid file the config names is where the reloader (SIGHUP) and the preStop hook reach the server
        pid_file = started[0][2].parent / "nats.pid"
        subprocess.run([str(NATS_SERVER), "--signal", f"reload={pid_file}"], check=True, timeout=10)
        [pre_stop] = server["lifecycle"]["preStop"]["exec"]["command"][2:]
        pre_stop = pre_stop.replace("/var/run/nats/nats.pid", str(pid_file)).split(" && ")[0]
        subprocess.run(pre_stop.replace("nats-server", str(NATS_SERVER), 1).split(), check=True, timeout=10)
        deadline = time.monotonic() + 10
        while "lame duck" not in started[0][2].read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "Reloaded server configuration" in started[0][2].read_text()
        assert "Entering lame duck mode" in started[0][2].read_text()
    finally:
        for process, _, _ in started:
            process.terminate()
            process.wait(10)


def test_the_config_reloader_signals_the_server_through_its_pid_file():
    for overlay in ("dev", "prod"):
        resources = render(f"overlays/{overlay}")
        nats = one(resources, "StatefulSet", "nats")
        spec = pod_spec(nats)
        assert spec["shareProcessNamespace"] is True  # the reloader sees the server's process
        server, reloader = containers(nats)["nats"], containers(nats)["reloader"]
        assert reloader["image"].split("@")[0].rsplit(":", 1)[0].endswith("natsio/nats-server-config-reloader")
        files = by_prefix(resources, "ConfigMap", "nats-config")["data"]
        pid_file = server["args"][server["args"].index("--pid") + 1]
        args = reloader["args"]
        assert args[args.index("-pid") + 1] == pid_file
        volumes = {v["name"]: v for v in spec["volumes"]}
        run = str(Path(pid_file).parent)
        assert mounted(server, volumes)[run] == mounted(reloader, volumes)[run] == "pid"
        # lame duck mode reaches the server by the same file (PID 1 is not the server with a shared namespace)
        assert f"ldm={pid_file}" in " ".join(server["lifecycle"]["preStop"]["exec"]["command"])
        watched = [args[i + 1] for i, a in enumerate(args) if a == "-config"]
        assert "/etc/nats/nats.conf" in watched
        if overlay == "prod":  # a renewed certificate is reloaded without a restart
            certs = re.findall(
                r"(?:cert_file|key_file|ca_file):\s*(\S+)", files["tls.conf"] + files["cluster-tls.conf"]
            )
            assert len(certs) == 6 and set(certs) <= set(watched)
        for path in watched:
            assert str(Path(path).parent) in mounted(reloader, volumes), path


def test_prometheus_scrapes_the_nats_exporter_which_reads_the_servers_monitoring_port():
    for overlay in ("dev", "prod"):
        resources = render(f"overlays/{overlay}")
        nats = one(resources, "StatefulSet", "nats")
        exporter = containers(nats)["exporter"]
        assert exporter["image"].split("@")[0].rsplit(":", 1)[0].endswith("natsio/prometheus-nats-exporter")
        [port] = [p["containerPort"] for p in exporter["ports"] if p["name"] == "metrics"]
        assert f"-port={port}" in exporter["args"] and "-jsz=all" in exporter["args"]
        http = re.search(r"^http: (\d+)", by_prefix(resources, "ConfigMap", "nats-config")["data"]["nats.conf"], re.M)
        assert exporter["args"][-1] == f"http://localhost:{http.group(1)}/"
        annotations = nats["spec"]["template"]["metadata"]["annotations"]
        # the same convention as the services' /metrics
        assert annotations == {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(port),
            "prometheus.io/path": "/metrics",
        }
        monitoring = [
            rule
            for rule in one(resources, "NetworkPolicy", "nats")["spec"]["ingress"]
            if {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}} in rule["from"]
        ]
        assert any({"protocol": "TCP", "port": port} in rule["ports"] for rule in monitoring)

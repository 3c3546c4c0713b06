"""Partners reach NATS from outside the cluster (issue 29): in production the client port alone is
on a load balancer at the name the partner guide gives, TLS only, with a certificate that must name
that host, and the policy admits public addresses to that port and nothing else."""

import ipaddress
import re

from k8s_render import DEPLOY, find, one, render

ROOT = DEPLOY.parent
GUIDE = (ROOT / "docs" / "partners.md").read_text()
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()


def public_host() -> str:
    hosts = set(re.findall(r"tls://([a-z0-9.-]+):4222", GUIDE))
    assert len(hosts) == 1, f"the guide should give partners one NATS address, gives {hosts}"
    return hosts.pop()


def test_the_client_port_alone_is_on_a_load_balancer_at_the_guides_address():
    prod = render("overlays/prod")
    service = one(prod, "Service", "nats-public")
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["selector"] == {"app": "nats"}
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(4222, "client")]
    assert service["metadata"]["annotations"]["external-dns.alpha.kubernetes.io/hostname"] == public_host()
    # Development runs inside the cluster or on `make up`: nothing public there.
    assert not [s for s in find(render("overlays/dev"), "Service") if s["spec"].get("type") == "LoadBalancer"]


def test_the_public_port_serves_tls_only_with_a_certificate_naming_the_guides_host():
    tls = (DEPLOY / "overlays" / "prod" / "nats-tls.conf").read_text()
    assert re.search(r"^tls \{", tls, re.M) and "cert_file" in tls
    row = next(line for line in OPERATIONS.splitlines() if line.startswith("| `nats-tls`"))
    assert f"`{public_host()}`" in row, "the nats-tls certificate must name the host partners connect to"
    assert "--ca" in GUIDE and "never\nturn verification off" in GUIDE


def ports_admitted_from(address: str) -> set[int]:
    """The NATS ports a connection from `address` may reach through the policies' address blocks."""
    source = ipaddress.ip_network(f"{address}/32")
    ports: set[int] = set()
    for policy in find(render("overlays/prod"), "NetworkPolicy"):
        if policy["spec"]["podSelector"].get("matchLabels") != {"app": "nats"}:
            continue
        for rule in policy["spec"].get("ingress", []):
            for block in (s["ipBlock"] for s in rule.get("from", []) if "ipBlock" in s):
                excepted = any(source.subnet_of(ipaddress.ip_network(e)) for e in block.get("except", []))
                if source.subnet_of(ipaddress.ip_network(block["cidr"])) and not excepted:
                    ports |= {p["port"] for p in rule["ports"]}
    return ports


def test_public_addresses_reach_the_client_port_and_nothing_else():
    assert ports_admitted_from("203.0.113.7") == {4222}  # an address on the internet (TEST-NET-3)
    # A pod's address is not admitted by address: inside the cluster the nats-client label decides.
    assert ports_admitted_from("10.1.2.3") == set()

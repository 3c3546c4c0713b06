"""The namespace's network: nothing is allowed unless a policy says so, every pod (services, the
hub, NATS, MongoDB, every Job and CronJob) has a policy of its own, and the internet reaches only
the public routes: never /metrics, /ops/*, /webhooks, the API documents or /openapi.json."""

import importlib
from typing import Any

import pytest
from k8s_render import BACKENDS, FRONT_ENDS, OVERLAYS, find, render, workloads

from ptfc.openapi import IN_CLUSTER

INTERNAL_CLASS = "nginx-internal"  # operations' network only (deploy/ingress/internal.yaml)
# What the internet must never reach, on any host: unauthenticated metrics, the dead-letter tools,
# webhook registration (ops), and the API documents.
NEVER_PUBLIC = [
    "/metrics",
    "/ops",
    "/ops/dead-letters",
    "/webhooks",
    "/webhooks/w-1/replay",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
    "/asyncapi",
    "/asyncapi.json",
    "/healthz",
    "/readyz",
]
INTERNAL_PREFIXES = ("/ops", "/webhooks", "/healthz", "/readyz")


def routes(path: dict[str, Any], url: str) -> bool:
    """Whether an Ingress path sends `url` to its backend. Prefix matches element by element (the
    Kubernetes rule); ImplementationSpecific is taken as a plain string prefix, the widest reading."""
    rule, kind = path.get("path", "/"), path["pathType"]
    if kind == "Exact":
        return url == rule
    if kind == "Prefix":
        return rule == "/" or url == rule.rstrip("/") or url.startswith(rule.rstrip("/") + "/")
    return url.startswith(rule)


def public_ingresses(resources: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    return [i for i in find(resources, "Ingress") if i["spec"].get("ingressClassName") != INTERNAL_CLASS]


def selected(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    assert not selector.get("matchExpressions"), "policies here select by labels only"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def template_labels(workload: dict[str, Any]) -> dict[str, str]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["metadata"].get("labels", {})


def is_default_deny(policy: dict[str, Any]) -> bool:
    spec = policy["spec"]
    return (
        spec["podSelector"] == {}
        and set(spec.get("policyTypes", [])) == {"Ingress", "Egress"}
        and not spec.get("ingress")
        and not spec.get("egress")
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_namespace_denies_all_traffic_in_and_out_by_default(overlay):
    policies = find(render(f"overlays/{overlay}"), "NetworkPolicy")
    assert [p["metadata"]["name"] for p in policies if is_default_deny(p)] == ["default-deny"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_template_is_in_a_policy_that_allows_its_traffic(overlay):
    """Deployments, StatefulSets, Jobs and the backup CronJob: under default deny, a pod no allowing
    policy selects could not even resolve a name, and one that is selected is held to its rules."""
    resources = render(f"overlays/{overlay}")
    allowing = [p for p in find(resources, "NetworkPolicy") if not is_default_deny(p)]
    kinds = set()
    for workload in workloads(resources):
        kinds.add(workload["kind"])
        labels = template_labels(workload)
        mine = [p for p in allowing if selected(p, labels)]
        assert mine, f"{workload['kind']} {workload['metadata']['name']} is in no policy"
        for policy in mine:
            assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}, policy["metadata"]["name"]
    assert kinds >= {"Deployment", "StatefulSet", "Job"} | ({"CronJob"} if overlay == "prod" else set())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_public_ingress_routes_no_metrics_ops_webhooks_or_api_documents(overlay):
    ingresses = public_ingresses(render(f"overlays/{overlay}"))
    assert [i["metadata"]["name"] for i in ingresses] == ["ptfc"]
    for ingress in ingresses:
        annotations = ingress["metadata"].get("annotations", {})
        assert annotations.get("nginx.ingress.kubernetes.io/use-regex") != "true"
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                for url in NEVER_PUBLIC:
                    assert not routes(path, url), f"{rule['host']} routes {url} by {path['path']} ({path['pathType']})"


def test_the_reasoning_sees_a_catch_all_prefix():
    """The check above would fail on the ingress as it was: `/` as a Prefix routes everything."""
    catch_all = {"path": "/", "pathType": "Prefix"}
    assert all(routes(catch_all, url) for url in NEVER_PUBLIC)
    assert routes({"path": "/plans", "pathType": "Prefix"}, "/plans/p-1/share")
    assert not routes({"path": "/plans", "pathType": "Prefix"}, "/plans-x")
    assert routes({"path": "/o", "pathType": "ImplementationSpecific"}, "/ops")


def documented_paths(service: str) -> dict[str, bool]:
    """Each route a service documents, with a sample value for its parameters, but for the internal
    prefixes → whether a browser or partner calls it: False when every operation on it is marked
    `ptfc.openapi.IN_CLUSTER` (only the platform's own front ends call it, from inside the cluster)."""
    app = importlib.import_module(f"{service}.app").create_app()
    paths = {}
    for path, operations in app.openapi()["paths"].items():
        url = path.replace("{", "").replace("}", "")
        if not url.startswith(INTERNAL_PREFIXES):
            paths[url] = not all(IN_CLUSTER.items() <= op.items() for op in operations.values())
    return paths


def public_rule(service: str) -> dict[str, Any]:
    [ingress] = public_ingresses(render("ingress"))
    [rule] = [r for r in ingress["spec"]["rules"] if r["host"].split(".")[0] == service]
    return rule


@pytest.mark.parametrize("service", [*BACKENDS, *FRONT_ENDS])
def test_every_public_route_of_a_service_is_routed_on_its_host(service):
    """The allow-list stays whole: a new public route fails here until the ingress routes it."""
    rule = public_rule(service)
    public = [url for url, is_public in documented_paths(service).items() if is_public]
    missing = [url for url in public if not any(routes(p, url) for p in rule["http"]["paths"])]
    assert not missing, (
        f"{rule['host']} does not route {missing}: add each to deploy/ingress/ingress.yaml, or, if only the "
        "platform's own front ends call it inside the cluster, give its route openapi_extra=ptfc.openapi.IN_CLUSTER"
    )


@pytest.mark.parametrize("service", BACKENDS)
def test_a_route_only_the_cluster_calls_is_not_on_the_public_ingress(service):
    """The other half of IN_CLUSTER: notifications' GET /me/certificate.pdf (the hub fetches it for
    the parent) is reachable from the hub's pods (its NetworkPolicy), never from the internet."""
    rule = public_rule(service)
    inside = [url for url, is_public in documented_paths(service).items() if not is_public]
    assert not [url for url in inside if any(routes(p, url) for p in rule["http"]["paths"])]
    if service == "notifications":
        assert "/me/certificate.pdf" in inside


def test_operations_reach_ops_and_webhooks_on_the_internal_ingress_only():
    resources = render("ingress")
    [internal] = [i for i in find(resources, "Ingress") if i["spec"].get("ingressClassName") == INTERNAL_CLASS]
    public_hosts = {r["host"] for i in public_ingresses(resources) for r in i["spec"]["rules"]}
    rules = {r["host"]: r["http"]["paths"] for r in internal["spec"]["rules"]}
    assert not set(rules) & public_hosts
    notifications = rules["notifications.internal.ptfc.example"]
    assert any(routes(p, "/webhooks/w-1/replay") for p in notifications)
    assert all(any(routes(p, "/ops/dead-letters") for p in paths) for paths in rules.values())
    assert not any(routes(p, "/metrics") for paths in rules.values() for p in paths)  # Prometheus scrapes the pods

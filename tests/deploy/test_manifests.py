"""What operations apply: every kustomization renders, every resource is valid Kubernetes, and each
service has the manifest set the platform promises (probes, limits, hardening, scaling, policy)."""

import re

import pytest
from k8s_render import (
    BACKENDS,
    DEPLOY,
    FRONT_ENDS,
    KUSTOMIZATIONS,
    OVERLAYS,
    SERVICES,
    WORKLOADS,
    container_env,
    find,
    one,
    pod_spec,
    render,
    workloads,
)
from kubernetes_validate import utils as kv

KUBERNETES = "1.32.0"  # the cluster version the manifests target (kubectl's own)
EVERY_SERVICE = sorted({*SERVICES, *FRONT_ENDS})  # the hub's manifests exist before its code reaches this branch
BACKENDS_CALLED = ["referrals", "learning", "workshops", "plans", "notifications"]  # by the console
PUBLIC_ADDRESSES = {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]}
# name:tag, name@digest or name:tag@digest (prod: make pin-digests), never latest
PINNED_IMAGE = re.compile(r"^[\w./-]+(:(?!latest(@|$))[\w][\w.-]*(@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})$")


def test_every_service_and_overlay_has_a_kustomization():
    for name in [*EVERY_SERVICE, "nats", "mongodb", "ingress", "base", *(f"overlays/{o}" for o in OVERLAYS)]:
        assert name in KUSTOMIZATIONS, f"deploy/{name}/kustomization.yaml is missing"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_each_kustomization_renders_resources_valid_against_the_kubernetes_schemas(kustomization):
    resources = render(kustomization)
    assert resources
    for resource in resources:
        try:
            kv.validate(resource, KUBERNETES, strict=True)
        except kv.ValidationError as error:
            name = f"{resource['kind']}/{resource['metadata']['name']}"
            pytest.fail(f"deploy/{kustomization}: {name} at {'.'.join(map(str, error.path))}: {error.message}")


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_no_image_is_latest_or_untagged(kustomization):
    for workload in workloads(render(kustomization)):
        spec = pod_spec(workload)
        for container in spec.get("initContainers", []) + spec["containers"]:
            assert PINNED_IMAGE.match(container["image"]), f"{workload['metadata']['name']}: {container['image']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_overlays_deploy_every_service_and_the_infrastructure(overlay):
    resources = render(f"overlays/{overlay}")
    for service in EVERY_SERVICE:
        for kind in ("Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler"):
            one(resources, kind, service)
        for kind in ("PodDisruptionBudget", "NetworkPolicy"):
            one(resources, kind, service)
    one(resources, "StatefulSet", "nats")
    one(resources, "StatefulSet", "mongo")
    one(resources, "Job", "ptfc-streams")
    one(resources, "Job", "mongo-init")
    one(resources, "Ingress", "ptfc")
    assert {r["metadata"].get("namespace") for r in resources} == {"ptfc" if overlay == "prod" else "ptfc-dev"}


def test_prod_carries_no_secret_values():
    """Credentials and keys are created by operations, never committed."""
    assert not find(render("overlays/prod"), "Secret")


@pytest.mark.parametrize("kustomization", ["overlays/dev", "overlays/prod"])
def test_every_workload_runs_as_non_root_read_only_without_privileges_and_within_limits(kustomization):
    for workload in workloads(render(kustomization)):
        name = f"{workload['kind']} {workload['metadata']['name']}"
        spec = pod_spec(workload)
        assert spec.get("automountServiceAccountToken") is False, name
        for container in spec.get("initContainers", []) + spec["containers"]:
            security = container.get("securityContext", {})
            non_root = security.get("runAsNonRoot", spec.get("securityContext", {}).get("runAsNonRoot"))
            assert non_root is True, name
            assert security.get("readOnlyRootFilesystem") is True, name
            assert security.get("allowPrivilegeEscalation") is False, name
            assert security.get("capabilities", {}).get("drop") == ["ALL"], name
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= set(resources.get("requests", {})), name
            assert {"cpu", "memory"} <= set(resources.get("limits", {})), name


@pytest.mark.parametrize("service", EVERY_SERVICE)
def test_each_service_has_probes_a_tokenless_account_autoscaling_and_a_disruption_budget(service):
    resources = render(service)
    deployment = one(resources, "Deployment", service)
    spec = pod_spec(deployment)
    [container] = spec["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert spec["serviceAccountName"] == service
    assert one(resources, "ServiceAccount", service)["automountServiceAccountToken"] is False
    hpa = one(resources, "HorizontalPodAutoscaler", service)
    assert hpa["spec"]["scaleTargetRef"]["name"] == service and hpa["spec"]["minReplicas"] >= 2
    assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"
    pdb = one(resources, "PodDisruptionBudget", service)
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert spec["terminationGracePeriodSeconds"] > 15, "graceful_timeout (15 s) must end within it"


@pytest.mark.parametrize("service", BACKENDS)
def test_each_service_is_reached_only_from_the_ingress_and_reaches_only_its_stores(service):
    policy = one(render(service), "NetworkPolicy", service)["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app": service}
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    [inbound] = policy["ingress"]
    assert inbound["ports"] == [{"protocol": "TCP", "port": 8000}]
    sources = [peer.get("namespaceSelector", peer.get("podSelector"))["matchLabels"] for peer in inbound["from"]]
    assert sources == [
        {"kubernetes.io/metadata.name": "ingress-nginx"},
        {"app": "hub"},
        {"app": "console"},
        {"kubernetes.io/metadata.name": "monitoring"},
    ]
    reached = {}
    for rule in policy["egress"]:
        ports = tuple(sorted(p["port"] for p in rule["ports"]))
        for peer in rule["to"]:
            reached[ports] = peer
    assert reached[(53, 53)] == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
    assert reached[(27017,)] == {"podSelector": {"matchLabels": {"app": "mongo"}}}
    assert reached[(4222,)] == {"podSelector": {"matchLabels": {"app": "nats"}}}
    # the staff identity providers' discovery documents and published keys (ptfc.jwks), outside the cluster
    assert reached[(443,)] == {"ipBlock": PUBLIC_ADDRESSES}
    smtp = (25, 443, 465, 587)
    if service == "notifications":
        assert "ipBlock" in reached[smtp]
        assert set(reached) == {(53, 53), (27017,), (4222,), (443,), smtp}
    else:
        assert set(reached) == {(53, 53), (27017,), (4222,), (443,)}


def test_the_hub_is_reached_only_from_the_ingress_and_reaches_only_the_apis_it_calls():
    policy = one(render("hub"), "NetworkPolicy", "hub")["spec"]
    [inbound] = policy["ingress"]
    assert inbound["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
    dns, apis = policy["egress"]
    assert dns["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}]
    assert apis["ports"] == [{"protocol": "TCP", "port": 8000}]
    called = [p["podSelector"]["matchLabels"]["app"] for p in apis["to"]]
    assert called == ["learning", "workshops", "plans", "notifications"]
    container = pod_spec(one(render("hub"), "Deployment", "hub"))["containers"][0]
    assert not any(e["name"] in ("NATS_URL", "MONGODB_URI") for e in container.get("env", []))


def test_the_console_is_reached_only_from_the_ingress_and_reaches_the_apis_and_the_identity_providers():
    policy = one(render("console"), "NetworkPolicy", "console")["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    [inbound] = policy["ingress"]
    assert inbound["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
    dns, apis, providers = policy["egress"]
    assert dns["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}]
    assert apis["ports"] == [{"protocol": "TCP", "port": 8000}]
    assert [p["podSelector"]["matchLabels"]["app"] for p in apis["to"]] == BACKENDS_CALLED
    # sign-in: discovery, the token endpoint and the published keys, on public addresses only
    assert providers == {"ports": [{"protocol": "TCP", "port": 443}], "to": [{"ipBlock": PUBLIC_ADDRESSES}]}
    container = pod_spec(one(render("console"), "Deployment", "console"))["containers"][0]
    assert not any(e["name"] in ("NATS_URL", "MONGODB_URI") for e in container.get("env", []))
    # and every service it calls lets it in
    for service in BACKENDS_CALLED:
        [inbound] = one(render(service), "NetworkPolicy", service)["spec"]["ingress"]
        assert {"podSelector": {"matchLabels": {"app": "console"}}} in inbound["from"], service


def test_the_ingress_serves_the_hub_and_every_api_over_tls():
    ingress = one(render("ingress"), "Ingress", "ptfc")["spec"]
    backends = {rule["host"]: rule["http"]["paths"][0]["backend"]["service"]["name"] for rule in ingress["rules"]}
    assert backends["hub.ptfc.example"] == "hub"
    assert backends["console.ptfc.example"] == "console"
    assert {b for h, b in backends.items() if h.endswith(".api.ptfc.example")} == set(BACKENDS)
    assert set(ingress["tls"][0]["hosts"]) == set(backends)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_links_to_the_hub_point_at_the_host_the_ingress_serves_it_on(overlay):
    resources = render(f"overlays/{overlay}")
    [hub_host] = [r["host"] for r in one(resources, "Ingress", "ptfc")["spec"]["rules"] if r["host"].startswith("hub.")]
    urls = {}
    for service in EVERY_SERVICE:
        [container] = pod_spec(one(resources, "Deployment", service))["containers"]
        env = container_env(resources, container)
        urls |= {
            f"{service} {k}": v
            for k, v in env.items()
            if k == "PTFC_HUB_URL" or (service, k) == ("hub", "PTFC_PUBLIC_URL")
        }
    assert len(urls) >= 3 and set(urls.values()) == {f"https://{hub_host}"}, urls


def test_the_base_names_every_service():
    base = (DEPLOY / "base" / "kustomization.yaml").read_text()
    for service in EVERY_SERVICE:
        assert f"  - ../{service}\n" in base
    assert set(WORKLOADS) >= {w["kind"] for w in workloads(render("base"))}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_and_statefulset_spreads_its_pods_across_zones(overlay):
    """A zone lost takes at most its share: each service keeps replicas elsewhere, and NATS and
    MongoDB (one member per zone, strictly) keep two of three, a majority."""
    for workload in workloads(render(f"overlays/{overlay}")):
        if workload["kind"] not in ("Deployment", "StatefulSet") or workload["metadata"]["name"] == "mailpit":
            continue  # (dev's one mail catcher: nothing to spread)
        labels = workload["spec"]["template"]["metadata"]["labels"]
        zone = [
            c
            for c in pod_spec(workload).get("topologySpreadConstraints", [])
            if c["topologyKey"] == "topology.kubernetes.io/zone"
        ]
        name = workload["metadata"]["name"]
        assert len(zone) == 1, f"{name} is not spread across zones"
        assert zone[0]["maxSkew"] == 1
        assert zone[0]["labelSelector"]["matchLabels"].items() <= labels.items(), f"{name} counts other pods"
        if workload["kind"] == "StatefulSet":
            assert zone[0]["whenUnsatisfiable"] == "DoNotSchedule", name

"""Renders the kustomizations under deploy/ with `kubectl kustomize` (offline; kubectl is part of
the machine image) and gives the tests the resources, once per session."""

import base64
import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml"))
FRONT_ENDS = ["hub", "console"]  # no store, no bus: they call the other services' APIs
BACKENDS = [s for s in SERVICES if s not in FRONT_ENDS]
OVERLAYS = ["dev", "prod"]
# Each folder that renders on its own (a Component, as the prod overlay's images/, renders inside its overlay).
KUSTOMIZATIONS = sorted(
    str(p.parent.relative_to(DEPLOY))
    for p in DEPLOY.rglob("kustomization.yaml")
    if "\nkind: Component" not in p.read_text()
)


@functools.cache
def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.fail("kubectl is not on PATH: it is part of the machine image; these tests render deploy/ with it")
    return path


@functools.cache
def render(kustomization: str) -> tuple[dict[str, Any], ...]:
    """Every resource `kubectl kustomize deploy/<kustomization>` produces."""
    done = subprocess.run(
        [kubectl(), "kustomize", str(DEPLOY / kustomization)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"kubectl kustomize deploy/{kustomization} failed:\n{done.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def find(resources: tuple[dict[str, Any], ...], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] == kind and (name is None or r["metadata"]["name"] == name)]


def one(resources: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    found = find(resources, kind, name)
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def by_prefix(resources: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    """A generated ConfigMap or Secret, whose name carries a content hash after `name-`."""
    found = [r for r in find(resources, kind) if r["metadata"]["name"].rsplit("-", 1)[0] == name]
    assert len(found) == 1, f"expected one {kind} named {name}-<hash>, found {len(found)}"
    return found[0]


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    spec = resource["spec"]
    if resource["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


WORKLOADS = ("Deployment", "StatefulSet", "Job", "CronJob")


def workloads(resources: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] in WORKLOADS]


def container_env(resources: tuple[dict[str, Any], ...], container: dict[str, Any]) -> dict[str, Any]:
    """The variables a container gets: `env` entries as written, ConfigMap keys (envFrom) as values."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef") or source.get("secretRef")
        kind = "ConfigMap" if "configMapRef" in source else "Secret"
        found = find(resources, kind, ref["name"])
        assert found, f"{container['name']}: envFrom names {kind} {ref['name']}, which this rendering lacks"
        env |= found[0].get("data", {})
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


def secret_value(resources: tuple[dict[str, Any], ...], name: str, key: str) -> str:
    [secret] = find(resources, "Secret", name)
    return base64.b64decode(secret["data"][key]).decode()


def run_init_container(workload: dict[str, Any], name: str, env: dict[str, str], mounts: dict[str, Path]) -> None:
    """Runs an init container's shell script here, as the pod would, with each of its mount paths
    (`mountPath` → a local folder) replaced: what it writes is then read by the test."""
    [container] = [c for c in pod_spec(workload).get("initContainers", []) if c["name"] == name]
    assert container["command"] == ["/bin/sh", "-c"], container["command"]
    script = container["args"][0]
    for path, local in mounts.items():
        script = script.replace(path, str(local))
    done = subprocess.run(
        ["/bin/sh", "-c", script], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def nats_routes(workload: dict[str, Any], password: str, directory: Path) -> str:
    """routes.conf as the NATS pod's init container `routes` writes it into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    run_init_container(workload, "routes", {"NATS_ROUTE_PASSWORD": password}, {"/etc/nats-routes": directory})
    return (directory / "routes.conf").read_text()

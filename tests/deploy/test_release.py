"""A release runs exactly the images it built: the prod overlay names every image by digest, and
`make pin-digests` (deploy/pin_digests.py) writes those digests from the registry after the push."""

import hashlib
import re
import shutil
import subprocess
import sys

import yaml
from k8s_render import DEPLOY, ROOT, kubectl, pod_spec, render, workloads

BY_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def images(resources) -> set[str]:
    return {
        c["image"]
        for w in workloads(resources)
        for c in pod_spec(w).get("initContainers", []) + pod_spec(w)["containers"]
    }


def test_every_image_the_prod_overlay_runs_is_pinned_by_digest():
    """A tag can be moved to other contents; a digest cannot. A new image (a sidecar, an exporter)
    fails here until deploy/overlays/prod/images lists it."""
    unpinned = sorted(i for i in images(render("overlays/prod")) if not BY_DIGEST.search(i))
    assert not unpinned, f"add these to deploy/overlays/prod/images and run make pin-digests: {unpinned}"


def test_pin_digests_writes_what_the_registry_answers_for_each_image(tmp_path):
    """Against a stand-in `crane` that answers a digest made from the reference asked for: every
    image of the rendered prod overlay then carries the digest of its own name and tag, the
    platform's own images from the registry and release given."""
    tree = tmp_path / "deploy"
    shutil.copytree(DEPLOY, tree)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    crane = bin_dir / "crane"
    crane.write_text(
        f"#!{sys.executable}\nimport hashlib, sys\n"
        "assert sys.argv[1] == 'digest'\nprint('sha256:' + hashlib.sha256(sys.argv[2].encode()).hexdigest())\n"
    )
    crane.chmod(0o755)
    component = tree / "overlays" / "prod" / "images" / "kustomization.yaml"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "pin_digests.py"), "--registry", "reg.test", "--tag", "9.9.9",
         "--component", str(component)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rendered = subprocess.run([kubectl(), "kustomize", str(tree / "overlays" / "prod")], capture_output=True, text=True)
    assert rendered.returncode == 0, rendered.stderr
    running = images(tuple(d for d in yaml.safe_load_all(rendered.stdout) if d))
    assert "reg.test/ptfc/referrals:9.9.9" in {i.split("@")[0] for i in running}
    for image in running:
        reference, _, digest = image.partition("@")
        assert digest == "sha256:" + hashlib.sha256(reference.encode()).hexdigest(), image


def test_pin_digests_is_a_make_target():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^pin-digests:.*\n(\t.*\n)*\t\$\(UV\) run python deploy/pin_digests.py", makefile, re.M)

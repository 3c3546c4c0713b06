"""Pins every image the prod overlay runs to the digest its registry holds for it now, after a
release's images are built and pushed: `make pin-digests TAG=<version>`.

deploy/overlays/prod/images/kustomization.yaml (a kustomize Component the prod overlay uses) lists
each image (`name` as the manifests say it, `newName` where it is pulled from, `newTag`); this
sets the platform's own images to TAG in REGISTRY, asks the registry for each image's digest
(`crane digest`, else `docker buildx imagetools inspect`) and writes the file again with `digest`
beside each tag, so the cluster runs `name:tag@sha256:…` and a tag moved later changes nothing.
The file is written whole by this script: edit the tags here or in that file, never the digests."""

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

COMPONENT = Path(__file__).parent / "overlays" / "prod" / "images" / "kustomization.yaml"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
HEADER = """\
# Written by `make pin-digests` (deploy/pin_digests.py) after the release's images are pushed: every
# image the prod overlay runs, by tag and by the digest the registry gave for it. Change a tag here,
# then run it again; all-zero digests mean nothing has been pinned yet, and such an image pulls nothing.
"""


def resolve(reference: str) -> str:
    """The digest the registry holds for `reference` (a multi-arch index's own digest)."""
    if shutil.which("crane"):
        command = ["crane", "digest", reference]
    elif shutil.which("docker"):
        command = ["docker", "buildx", "imagetools", "inspect", reference, "--format", "{{json .Manifest.Digest}}"]
    else:
        sys.exit("pin-digests needs crane or docker buildx on PATH to ask the registry for digests")
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    digest = done.stdout.strip().strip('"')
    if done.returncode != 0 or not DIGEST.match(digest):
        sys.exit(f"no digest for {reference}: {done.stderr.strip() or digest!r}")
    return digest


def pin(component: Path, registry: str | None, tag: str | None) -> list[dict[str, str]]:
    document = yaml.safe_load(component.read_text())
    for image in document["images"]:
        if image["name"].startswith("ptfc/"):
            if registry:
                image["newName"] = f"{registry.rstrip('/')}/{image['name']}"
            if tag:
                image["newTag"] = tag
        image["digest"] = resolve(f"{image.get('newName', image['name'])}:{image['newTag']}")
    lines = [HEADER + "apiVersion: kustomize.config.k8s.io/v1alpha1", "kind: Component", "images:"]
    lines += [f"  - {json.dumps(image)}" for image in document["images"]]  # JSON is YAML: one line each
    component.write_text("\n".join(lines) + "\n")
    return document["images"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", help="where the platform's images were pushed, e.g. registry.example")
    parser.add_argument("--tag", help="the release's version, the tag the platform's images were pushed with")
    parser.add_argument("--component", type=Path, default=COMPONENT)
    args = parser.parse_args()
    for image in pin(args.component, args.registry, args.tag):
        print(f"{image['name']}: {image.get('newName', image['name'])}:{image['newTag']}@{image['digest']}")


if __name__ == "__main__":
    main()

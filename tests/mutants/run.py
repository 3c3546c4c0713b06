"""Hand-run mutation check of the programme's rules (docs/rules.md): each mutant in mutants.toml breaks
one rule in the source, and the test named as its killer must then fail, and pass once it is undone.

    python3 -m uv run python tests/mutants/run.py            # every mutant
    python3 -m uv run python tests/mutants/run.py P04 R11    # some
    python3 -m uv run python tests/mutants/run.py --suite P26  # the service's whole suite, not the killer

Run it in a clone of your own: a mutant is written into the source while its test runs (seconds),
and anyone testing the same work tree meanwhile would test the broken rule. Each mutation is an exact,
unique replacement marked `# MUTANT` on its line, undone by the reverse replacement (never by a git
checkout, which would also discard others' work), even when the run is interrupted."""

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARK = "  # MUTANT"


def mutate(text: str, old: str, new: str) -> str:
    """`old` (once in the file) becomes `new`, and the line where it ends says MUTANT."""
    if text.count(old) != 1 or MARK in text:
        raise SystemExit(f"the source changed: {old!r} is not there exactly once")
    start = text.index(old)
    text = text[:start] + new + text[start + len(old) :]
    end = text.index("\n", start + max(len(new) - 1, 0))  # a `new` ending a line: that line
    return text[:end] + MARK + text[end:]


def undo(text: str, old: str, new: str) -> str:
    """The reverse, found by the mark: `new` where it ends on the marked line (it may occur elsewhere too)."""
    mark = text.index(MARK)
    text = text[:mark] + text[mark + len(MARK) :]
    line = text.rfind("\n", 0, mark) + 1
    start = next(i for i in range(mark + 1 - len(new), -1, -1) if text.startswith(new, i) and i + len(new) >= line)
    return text[:start] + old + text[start + len(new) :]


def pytest(*targets: str) -> bool:
    """True when every test passed."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *targets]
    return subprocess.run(command, cwd=ROOT, capture_output=True).returncode == 0


def check(mutant: dict, suite: bool) -> str:
    path = ROOT / mutant["file"]
    service = mutant["file"].split("/")[1]
    targets = [f"services/{service}/tests"] if suite else mutant["killed_by"].split()
    path.write_text(mutate(path.read_text(), mutant["old"], mutant["new"]))
    try:
        survived = pytest(*targets)
    finally:
        path.write_text(undo(path.read_text(), mutant["old"], mutant["new"]))
    if survived:
        return "SURVIVED"
    return "killed" if suite or pytest(*targets) else "killed, but the test also fails without the mutant"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ids", nargs="*", help="mutant ids (default: all)")
    parser.add_argument("--suite", action="store_true", help="run the service's whole suite, not the killer")
    args = parser.parse_args()
    mutants = tomllib.loads((Path(__file__).parent / "mutants.toml").read_text())["mutant"]
    chosen = [m for m in mutants if not args.ids or m["id"] in args.ids]
    bad = 0
    for mutant in chosen:
        verdict = "equivalent" if "equivalent" in mutant else check(mutant, args.suite)
        bad += verdict not in ("killed", "equivalent")
        print(f"{mutant['id']:4} {verdict:9} {mutant['rule']}", flush=True)
    print(f"{len(chosen) - bad} of {len(chosen)} mutants killed or equivalent")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Each rule in docs/rules.md is checked by a mutant (tests/mutants/mutants.toml) that `run.py`
writes into the source: a mutant whose text no longer stands exactly once in its file (the code it
broke moved in a refactor) would stop checking its rule unnoticed until someone ran it."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = tomllib.loads((ROOT / "tests/mutants/mutants.toml").read_text())["mutant"]


def test_every_mutant_still_finds_the_code_it_breaks():
    lost = []
    for mutant in MUTANTS:
        source = ROOT / mutant["file"]
        found = source.read_text().count(mutant["old"]) if source.exists() else 0
        if found != 1:
            lost.append(f"{mutant['id']}: {mutant['file']} holds its text {found} times")
    assert not lost, "\n".join(lost)


def test_every_rule_in_the_table_has_its_mutant():
    table = (ROOT / "docs/rules.md").read_text()
    assert all(f"| {mutant['id']} |" in table for mutant in MUTANTS)

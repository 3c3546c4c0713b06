"""The plan's history: who did what and when (a party's chosen name, never a contact), and for a proposal
what changed from the version before, field by field."""

from datetime import datetime
from typing import Any


def history_entry(by: dict | None, action: str, now: datetime, **about: Any) -> dict:
    """Who (their party and chosen name, never a contact), when and what."""
    who = {"party_id": by["party_id"], "by": by["display_name"]} if by else {"party_id": None, "by": None}
    return {**who, "action": action, "at": now, **about}


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """`{"pets": [{"name": "Rex"}]}` → `{"pets.0.name": "Rex"}`: a difference names what moved."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= flatten(v, f"{path}.{k}" if path else str(k))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out |= flatten(v, f"{path}.{i}" if path else str(i))
        return out if value else {path: []}
    return {path: value}


def diff(before: dict | None, after: dict | None) -> list[dict]:
    """Each field that changed from the previous version: its path, the old and the new value."""
    old, new = flatten(before or {}), flatten(after or {})
    changes = []
    for path in sorted(old.keys() | new.keys()):
        if old.get(path) != new.get(path):
            kind = "added" if path not in old else "removed" if path not in new else "changed"
            changes.append({"field": path, "change": kind, "before": old.get(path), "after": new.get(path)})
    return changes

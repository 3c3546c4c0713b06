"""Structured fields in words, for the exports and the children's version."""

from plans.content import DAYS, Language, labels


def who(plan: dict, role: str, lang: Language) -> str:
    """A role as the name that party chose ("owner" → "Mum"); "shared"/"both" → both parents."""
    for p in plan["parties"]:
        if p["role"] == role and p["left_at"] is None:
            return p["display_name"]
    return labels(lang)["shared"] if role in ("shared", "both") else role


def structured(plan: dict, content: dict | None, lang: Language) -> list[str]:
    if not content:
        return []
    words, lines = labels(lang), []
    for row in content.get("weekly_pattern", []):
        nights = ", ".join(f"{words['days'][d]}: {who(plan, row['nights'][d], lang)}" for d in DAYS)
        lines.append(f"{row['child']} — {nights}")
    for row in content.get("pocket_money", []):
        amount = f"£{row['pence_per_week'] // 100}.{row['pence_per_week'] % 100:02d}"
        lines.append(f"{row['child']}: {amount} ({words['paid_by']} {who(plan, row['paid_by'], lang)})")
    for row in content.get("pets", []):
        lines.append(f"{row['name']} ({row['kind']}): {words['kept_by']} {who(plan, row['kept_by'], lang)}")
    return lines

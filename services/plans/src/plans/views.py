"""Documents → responses. A party appears by its chosen name and role, never by anything else."""

from html import escape

from plans import content, domain, schemas
from plans.schemas import (
    ChildSection,
    ChildView,
    CoParentPlan,
    HistoryEntry,
    Invited,
    ItemView,
    Joined,
    PartyView,
    PlanSummary,
    PlanView,
    Started,
    TopicView,
)
from plans.wording import structured


def topic_view(t: content.Topic) -> TopicView:
    return TopicView(key=t.key, title=t.title, guidance=t.guidance, prompts=list(t.prompts), field=t.field)


def names(plan: dict) -> dict[str, str]:
    """Party id → display name, those who left included (the history still names them)."""
    return {p["party_id"]: p["display_name"] for p in plan["parties"]}


def plan_view(plan: dict, me: dict | None) -> PlanView:
    by = names(plan)
    mine = me["party_id"] if me else None
    # Agreement takes both parents: alone in the plan, nobody is asked to accept anything.
    answering = len(domain.active(plan)) >= domain.MAX_PARTIES
    items = []
    for key in plan["topics"]:
        item, t = plan["items"][key], content.topic(key, plan["language"])
        items.append(
            ItemView(
                topic=key,
                title=t.title,
                status=item["status"],
                version=item["version"],
                content=item["content"],
                proposed_by=by.get(item["proposed_by"]),
                proposed_at=item["proposed_at"],
                accepted_by=[by[p] for p in item["accepted_by"]],
                waiting_for_you=answering
                and bool(mine)
                and item["status"] == "proposed"
                and mine not in item["accepted_by"],
            )
        )
    parties = [
        PartyView(display_name=p["display_name"], role=p["role"], you=p["party_id"] == mine)
        for p in plan["parties"]
        if p["left_at"] is None
    ]
    return PlanView(
        id=plan["_id"],
        language=plan["language"],
        status=plan["status"],
        revision=plan["revision"],
        children=[{"name": c["name"], "age": c["age"]} for c in plan["children"]],
        parties=parties,
        left=[p["display_name"] for p in plan["parties"] if p["left_at"] is not None],
        invited_until=None if answering else plan.get("invited_until"),
        items=items,
        shared_with_fca=bool(plan["viewers"]),
        created_at=plan["created_at"],
        agreed_at=plan["agreed_at"],
    )


def started(done: domain.Started | domain.Invitation) -> tuple[int, Started | CoParentPlan]:
    """201 and the new plan, or 202 when the co-parent's plan was shared again instead."""
    if isinstance(done, domain.Invitation):
        message = schemas.CO_PARENT_PLAN_EMAILED if done.emailed else schemas.CO_PARENT_PLAN_KEPT
        return 202, CoParentPlan(expires_at=done.expires_at, message=message)  # type: ignore[arg-type]
    return 201, Started(plan=plan_view(done.plan, done.owner), party_token=done.party_token, owner_link=done.owner_link)


def invited(done: domain.Invitation) -> Invited:
    if done.shared_with == "fca":
        return Invited(shared_with="fca")
    message = schemas.INVITATION_EMAILED if done.emailed else schemas.INVITATION_KEPT
    return Invited(
        invitation_id=done.invitation_id,
        expires_at=done.expires_at,
        shared_with=done.shared_with,  # type: ignore[arg-type]
        emailed=done.emailed,
        message=message,
    )


def joined(done: domain.Joined) -> Joined:
    return Joined(plan_id=done.plan_id, party_token=done.party_token)


def history_view(row: dict) -> HistoryEntry:
    return HistoryEntry(**{k: row.get(k) for k in HistoryEntry.model_fields})


def summary(plan: dict) -> PlanSummary:
    return PlanSummary(id=plan["_id"], status=plan["status"], revision=plan["revision"], created_at=plan["created_at"])


def for_children_view(plan: dict, age: int) -> ChildView:
    """Only agreed topics a child may read (domain.for_children). Under 8: warm words and the
    concrete arrangements; from 8 also the words the parents agreed."""
    lang, band = plan["language"], content.age_band(age)
    sections = []
    for key, agreed in domain.for_children(plan):
        t = content.topic(key, lang)
        details = structured(plan, agreed, lang)
        if band != "under_8" and agreed.get("text"):
            details.append(agreed["text"])
        sections.append(ChildSection(topic=key, title=t.title, words=t.child[band], details=details))
    words = content.labels(lang)
    note = None if sections else words["for_children_nothing"]
    return ChildView(title=words["for_children_title"], language=lang, age_band=band, sections=sections, note=note)


PRINT_CSS = """body{font:18px/1.5 sans-serif;max-width:40em;margin:2em auto;padding:0 1em;color:#0b0c0c}
h1{font-size:2em}h2{font-size:1.3em;margin-top:1.5em}section{break-inside:avoid}
@media print{body{margin:0;font-size:14pt}a{color:inherit}}"""


def for_children_html(view: ChildView) -> str:
    direction = "rtl" if view.language == "ur" else "ltr"
    parts = [f"<h1>{escape(view.title)}</h1>"]
    if view.note:
        parts.append(f"<p>{escape(view.note)}</p>")
    for s in view.sections:
        items = "".join(f"<li>{escape(d)}</li>" for d in s.details)
        parts.append(f"<section><h2>{escape(s.title)}</h2><p>{escape(s.words)}</p><ul>{items}</ul></section>")
    return (
        f'<!doctype html><html lang="{view.language}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{escape(view.title)}</title><style>{PRINT_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )

"""Documents → responses. A party appears by its chosen name and role, never by anything else."""

from html import escape

from plans import content, domain, schemas
from plans.content import DAYS, Language
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
from plans.wording import agreed_count, changes, day, money, short_day, structured, who, written_in


def topic_view(t: content.Topic) -> TopicView:
    return TopicView(key=t.key, title=t.title, guidance=t.guidance, prompts=list(t.prompts), field=t.field)


def names(plan: dict) -> dict[str, str]:
    """Party id → display name, those who left included (the history still names them)."""
    return {p["party_id"]: p["display_name"] for p in plan["parties"]}


def reading(plan: dict, me: dict | None, asked: Language | None) -> Language:
    """Each party reads in their own language: the one asked for (the hub passes the parent's), else
    the one they chose when they started or joined, else the plan's."""
    return asked or domain.language_of(plan, me)  # type: ignore[return-value]


def plan_view(plan: dict, me: dict | None, lang: Language | None = None, reply_emails: bool | None = None) -> PlanView:
    lang = reading(plan, me, lang)
    by = names(plan)
    mine = me["party_id"] if me else None
    # Agreement takes both parents: alone in the plan, nobody is asked to accept anything.
    answering = len(domain.active(plan)) >= domain.MAX_PARTIES
    items = []
    for key in plan["topics"]:
        item, t = plan["items"][key], content.topic(key, lang)
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
                content_language=item.get("language") if item["content"] else None,
                written_in=written_in(item.get("language"), lang) if item["content"] else None,
                details=structured(plan, item["content"], lang),
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
        reading=lang,
        in_words={
            "changes": changes(plan["revision"], lang),
            "agreed": agreed_count(list(plan["items"].values()), lang),
            "agreed_on": day(plan["agreed_at"], lang) if plan["agreed_at"] else None,
        },
        reply_emails=reply_emails if me else None,
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


def history_view(row: dict, lang: Language) -> HistoryEntry:
    entry = HistoryEntry(**{k: row.get(k) for k in HistoryEntry.model_fields})
    entry.title = content.topic(row["topic"], lang).title if row.get("topic") in content.TOPICS else None
    entry.written_in = written_in(row.get("language"), lang) if row.get("content") else None
    return entry


def summary(plan: dict) -> PlanSummary:
    """A plan in a list: the Parent Hub's task list reads its status from this (started, shared, agreed)."""
    present = [p for p in plan["parties"] if p.get("left_at") is None]
    return PlanSummary(
        id=plan["_id"],
        status=plan["status"],
        revision=plan["revision"],
        created_at=plan["created_at"],
        shared=len(present) > 1 or plan.get("invited_until") is not None,
    )


def child_names(plan: dict, lang: Language) -> str:
    names = [c["name"] for c in plan["children"]]
    joiner = f" {content.labels(lang)['and']} "
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + joiner + names[-1]


def for_children_view(plan: dict, age: int, lang: Language | None = None) -> ChildView:
    """Only agreed topics a child may read (domain.for_children), in the reader's language, naming
    the children: a week per child of which home each night, pocket money, pets, handovers. Under 8:
    warm words and the concrete arrangements; from 8 also the words the parents agreed."""
    lang, band = lang or plan["language"], content.age_band(age)
    words = content.labels(lang)
    sections, weeks = [], []
    for key, agreed in domain.for_children(plan):
        t = content.topic(key, lang)
        for row in agreed.get("weekly_pattern", []):
            nights = [
                schemas.Night(
                    day=d,
                    day_name=words["days"][d],
                    day_short=short_day(i, lang),
                    home=who(plan, row["nights"][d], lang),
                    role=row["nights"][d],
                )
                for i, d in enumerate(DAYS)
            ]
            weeks.append(
                schemas.ChildWeekView(
                    child=row["child"], heading=words["week_of"].format(child=row["child"]), nights=nights
                )
            )
        details = _child_details(plan, agreed, lang)
        if band != "under_8" and agreed.get("text"):
            details.append(agreed["text"])
        sections.append(ChildSection(topic=key, title=t.title, words=t.child[band], details=details))
    note = None if sections else words["for_children_nothing"]
    title = words["for_children_of"].format(names=child_names(plan, lang))
    children = [c["name"] for c in plan["children"]]
    return ChildView(
        title=title, language=lang, age_band=band, children=children, weeks=weeks, sections=sections, note=note
    )


def _child_details(plan: dict, agreed: dict, lang: Language) -> list[str]:
    """Pocket money and pets as sentences a child reads; the week is shown as a picture instead."""
    words, lines = content.labels(lang), []
    for row in agreed.get("pocket_money", []):
        name = who(plan, row["paid_by"], lang)
        lines.append(
            words["pocket_money_line"].format(child=row["child"], amount=money(row["pence_per_week"]), name=name)
        )
    for row in agreed.get("pets", []):
        lines.append(words["pet_line"].format(pet=row["name"], kind=row["kind"], name=who(plan, row["kept_by"], lang)))
    return lines


PRINT_CSS = """body{font:18px/1.5 sans-serif;max-width:40em;margin:2em auto;padding:0 1em;color:#0b0c0c}
h1{font-size:2em}h2{font-size:1.3em;margin-top:1.5em}section{break-inside:avoid}
table{border-collapse:collapse;width:100%;table-layout:fixed}th,td{border:2px solid #0b0c0c;padding:.3em;
text-align:center;font-size:.8em;overflow-wrap:anywhere}.home--owner{background:#d2e2f1}.home--invitee{background:#fbe5c8}
.home--both{background:#dff0d8}
@media print{@page{size:A4}body{margin:0;font-size:14pt}a{color:inherit}}"""


def week_html(week: schemas.ChildWeekView) -> str:
    """One child's week: a column per night, naming whose home (coloured per parent, and in words)."""
    head = "".join(f'<th scope="col">{escape(n.day_name)}</th>' for n in week.nights)
    cells = "".join(f'<td class="home home--{n.role}">{escape(n.home)}</td>' for n in week.nights)
    return (
        f'<section class="week"><h2>{escape(week.heading)}</h2><table><thead><tr>{head}</tr></thead>'
        f"<tbody><tr>{cells}</tr></tbody></table></section>"
    )


def for_children_html(view: ChildView) -> str:
    direction = "rtl" if view.language == "ur" else "ltr"
    parts = [f"<h1>{escape(view.title)}</h1>"]
    if view.note:
        parts.append(f"<p>{escape(view.note)}</p>")
    parts.extend(week_html(w) for w in view.weeks)
    for s in view.sections:
        items = "".join(f'<li dir="auto">{escape(d)}</li>' for d in s.details)
        parts.append(f"<section><h2>{escape(s.title)}</h2><p>{escape(s.words)}</p><ul>{items}</ul></section>")
    return (
        f'<!doctype html><html lang="{view.language}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{escape(view.title)}</title><style>{PRINT_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )

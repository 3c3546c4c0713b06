"""Parenting plan ("Our Child's Plan"): start one, add children and topics, propose and
counter-propose topic by topic (seeing what the other parent proposed and what is agreed), share
it with the co-parent, its history, a child-friendly view, Word and PDF. Open to anyone at `/plan`:
a programme parent acts with their sign-in, anyone else with the secret plan token plans gives
them, kept in an HttpOnly cookie. Plans' emailed links open `/plans/join` and `/plans/open`.

Its routes, by topic: `pages` (the plan's own pages and downloads), `sharing` (who is in it), `topics`
(proposing and agreeing); `reach` is how each calls plans for this browser."""

from fastapi import APIRouter

from hub.plan import pages, sharing, topics

router = APIRouter()
# pages first: its /plan/new and /plan/template.docx come before /plan/{plan_id}
for part in (pages, sharing, topics):
    router.include_router(part.router)

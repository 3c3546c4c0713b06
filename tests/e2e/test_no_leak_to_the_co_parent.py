"""Nothing the other parent can reach reveals the first parent's details.

Alex is referred with distinctive contact details (email, phone, an address in her support needs,
a rare family and given name); Chris is her co-parent on the same referral. Both go through the
course on the real services and the Parent Hub (uvicorn on free loopback ports, real NATS,
MongoDB and SMTP): activation, the eight modules, a workshop each (never the same), and a plan
Alex starts, proposes on and shares with Chris, who joins it. Then everything Chris can reach is
read and scanned for Alex's details: every API answer his token gets (refusals included), every
Parent Hub page he can open, the plan's Word and PDF exports (their text), the calendar file,
every email sent to him, and every event on the streams (none may carry them in clear)."""

import io
import re
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from docx import Document
from pypdf import PdfReader

from hub.app import create_app as hub_app
from hub.config import DEV_HUB_SECRET
from hub.config import Settings as HubSettings
from hub.security import cookie_for
from learning.app import create_app as learning_app
from learning.config import Settings as LearningSettings
from notifications.app import create_app as notifications_app
from notifications.config import Settings as NotificationsSettings
from plans.app import create_app as plans_app
from plans.config import Settings as PlansSettings
from ptfc.dev.servers import free_port
from ptfc.testing.mailbox import Mailbox
from ptfc.testing.mailbox import text_of as letter_text
from ptfc.testing.plugin import bearer, eventually, serve
from ptfc.testing.referrals import referral_body
from ptfc.testing.workshops import one_each, online_session
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings
from workshops.app import create_app as workshops_app
from workshops.config import Settings as WorkshopsSettings

from .course import through_the_elearning

pytestmark = pytest.mark.timeout(240)

FCA = bearer("cafcass", "fca-leak")
STAFF = bearer("provider", "staff-leak", "action-for-children")
ADDRESS = "Flat 9, 17 Ravensworth Gardens, Hexley HX9 4QQ"
ALEX = {
    "given_name": "Zephyrine",
    "family_name": "Quattlebaum",
    "email": "zephyrine.q@alexmail.example",
    "phone": "07700 911911",
    "gender": "female",
    "adjustments": {"interpreter": None, "in_person": False, "support_needs": f"Letters to {ADDRESS} only"},
}
CHRIS = {
    "given_name": "Chris",
    "family_name": "Rowe",
    "email": "chris.rowe@example.org",
    "phone": "07700900002",
    "gender": "male",
}
# Alex's details as they could appear anywhere, a fragment of each enough to count.
SECRETS = [
    "Zephyrine",
    "Quattlebaum",
    "zephyrine.q",
    "alexmail",
    "911911",
    "7700911911",
    "Ravensworth",
    "HX9 4QQ",
    "HX94QQ",
    "Hexley",
]
REFERRAL = referral_body(ALEX, CHRIS, case_number="MA24P04242", court_email="family.london@justice.example")


ALEX_LINK, CHRIS_LINK = "https://video.example/alex", "https://video.example/chris"


def text_of(response: httpx.Response) -> str:
    """What a person reads in an answer: the body, or the text inside a Word or PDF file."""
    kind = response.headers.get("content-type", "")
    if "wordprocessingml" in kind:
        document = Document(io.BytesIO(response.content))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if "pdf" in kind:
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(response.content)).pages)
    return response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())


def leaks(text: str) -> list[str]:
    folded = text.casefold()
    return [s for s in SECRETS if s.casefold() in folded]


async def test_nothing_chris_can_reach_reveals_alexs_details(make_settings, tap, mailbox):
    hub_port = free_port()
    hub_url = f"http://127.0.0.1:{hub_port}"
    fast = {"sweep_interval": timedelta(milliseconds=200)}
    async with AsyncExitStack() as stack:
        ref = await stack.enter_async_context(serve(referrals_app(make_settings(ReferralsSettings))))
        learn = await stack.enter_async_context(serve(learning_app(make_settings(LearningSettings, hub_url=hub_url))))
        notifications = make_settings(
            NotificationsSettings,
            smtp_port=mailbox.port,
            hub_url=hub_url,
            send_backoff=timedelta(milliseconds=100),
            **fast,
        )
        await stack.enter_async_context(serve(notifications_app(notifications)))
        work = await stack.enter_async_context(serve(workshops_app(make_settings(WorkshopsSettings))))
        plans = await stack.enter_async_context(serve(plans_app(make_settings(PlansSettings, hub_url=hub_url))))
        hub_settings = HubSettings(
            public_url=hub_url, cookie_secure=False, learning_url=learn, workshops_url=work, plans_url=plans
        )
        await stack.enter_async_context(serve(hub_app(hub_settings), hub_port))
        api = await stack.enter_async_context(httpx.AsyncClient(timeout=30))

        created = await api.post(f"{ref}/referrals", json=REFERRAL, headers=FCA)
        assert created.status_code == 201, created.text
        referral_id = created.json()["id"]

        learning = await stack.enter_async_context(httpx.AsyncClient(base_url=learn, timeout=30))
        alex = await through_the_elearning(learning, mailbox, ALEX["email"])
        chris = await through_the_elearning(learning, mailbox, CHRIS["email"])

        start = (datetime.now(UTC) + timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
        alex_id, chris_id = (p["participant_id"] for p in created.json()["participants"])
        links = {alex_id: "https://video.example/alex", chris_id: "https://video.example/chris"}
        made = await one_each(
            api, work, STAFF, [alex_id, chris_id], lambda pid: online_session(start, links[pid], "fac-leak")
        )
        first_id, second_id = made[alex_id], made[chris_id]  # each in that parent's half of the sessions

        async def book(who, sid):
            answer = await api.post(f"{work}/me/booking", json={"session_id": sid}, headers=who)
            return answer if answer.status_code == 201 else None

        await eventually(lambda: book(alex, first_id), timeout=30)
        await eventually(lambda: book(chris, second_id), timeout=30)

        # Alex starts a plan, proposes, and shares it with her co-parent; Chris joins.
        body = {"display_name": "Mum", "children": [{"name": "Sam", "age": 6}], "topics": ["living", "pets"]}
        plan = await api.post(f"{plans}/plans", json=body, headers=alex)
        assert plan.status_code == 201, plan.text
        plan_id = plan.json()["plan"]["id"]
        proposal = {"text": "Sam lives with Mum in the week."}
        made = await api.post(f"{plans}/plans/{plan_id}/topics/living/proposals", json=proposal, headers=alex)
        assert made.status_code == 200, made.text

        async def shared():
            answer = await api.post(f"{plans}/plans/{plan_id}/share", json={"to": "co_parent"}, headers=alex)
            return answer.status_code == 202

        await eventually(shared, timeout=30)

        async def invitation():
            return [m for m in mailbox.to(CHRIS["email"]) if "plans/join?token=" in letter_text(m)]

        [invite] = await eventually(invitation, timeout=30)
        token = re.search(r"plans/join\?token=([A-Za-z0-9_\-]+)", letter_text(invite)).group(1)
        joined = await api.post(
            f"{plans}/invitations/accept", json={"token": token, "display_name": "Dad"}, headers=chris
        )
        assert joined.status_code == 200, joined.text
        await eventually(lambda: _mail_with(mailbox, CHRIS["email"], "video.example/chris"), timeout=30)

        # Everything Chris can reach, through the APIs with his token…
        reached: dict[str, httpx.Response] = {}
        reads = [
            f"{learn}/me/course",
            f"{learn}/modules",
            f"{learn}/modules/1",
            f"{work}/me/sessions",
            f"{work}/me/booking",
            f"{work}/me/waitlist",
            f"{work}/me/follow-up-consent",
            f"{work}/sessions/{first_id}",  # Alex's session: refused
            f"{plans}/plans",
            f"{plans}/plans/{plan_id}",
            f"{plans}/plans/{plan_id}/history",
            f"{plans}/plans/{plan_id}/for-children?age=6",
            f"{plans}/plans/{plan_id}/export.docx",
            f"{plans}/plans/{plan_id}/export.pdf",
            f"{ref}/referrals/{referral_id}",  # refused
            f"{learn}/enrolments?referral_id={referral_id}",  # refused
        ]
        for url in reads:
            reached[url] = await api.get(url, headers=chris)
        # …and the refusals he gets when he tries Alex's session or her things.
        reached["book Alex's session"] = await api.post(
            f"{work}/me/booking", json={"session_id": first_id}, headers=chris
        )
        reached["share again"] = await api.post(
            f"{plans}/plans/{plan_id}/share", json={"to": "co_parent"}, headers=chris
        )
        for url in (
            f"{plans}/plans/{plan_id}",
            f"{plans}/plans/{plan_id}/export.docx",
            f"{plans}/plans/{plan_id}/export.pdf",
        ):
            assert reached[url].status_code == 200, (url, reached[url].text)
        assert "Sam lives with Mum" in text_of(reached[f"{plans}/plans/{plan_id}/export.docx"])
        assert "Sam lives with Mum" in text_of(reached[f"{plans}/plans/{plan_id}/export.pdf"])

        # …through the Parent Hub's pages, signed in as Chris…
        cookie = {"ptfc_session": cookie_for(DEV_HUB_SECRET, chris["Authorization"].removeprefix("Bearer "))}
        async with httpx.AsyncClient(base_url=hub_url, cookies=cookie, timeout=30) as page:
            for path in (
                "/course",
                "/learning",
                "/learning/1",
                "/workshop",
                "/workshop/booking.ics",
                "/workshop/cancel",
                "/workshop/waitlist",
                "/plan",
                f"/plan/{plan_id}",
                f"/plan/{plan_id}/topic/living",
                f"/plan/{plan_id}/history",
                f"/plan/{plan_id}/for-children",
                f"/plan/{plan_id}/share",
                f"/plan/{plan_id}/export.docx",
                f"/plan/{plan_id}/export.pdf",
                "/resources",
            ):
                reached[f"hub {path}"] = await page.get(path)
        for path in ("/course", "/workshop", f"/plan/{plan_id}", f"/plan/{plan_id}/export.docx"):
            assert reached[f"hub {path}"].status_code == 200, (path, reached[f"hub {path}"].status_code)
        assert "video.example/chris" in reached["hub /workshop"].text  # the page shows his own booking

        found = {what: hit for what, answer in reached.items() if (hit := leaks(text_of(answer)))}
        # …every email sent to him…
        to_chris = [letter_text(m) for m in mailbox.to(CHRIS["email"])]
        assert len(to_chris) >= 4  # welcome, e-learning done, booking, plan invitation
        found |= {f"email {i}": hit for i, text in enumerate(to_chris) if (hit := leaks(text))}
        # …and every event on the streams, as a partner or anyone on the bus reads them.
        events = await tap.all()
        found |= {f"event {e.type}": hit for e in events if (hit := leaks(e.model_dump_json()))}
        print(f"\nscanned {len(reached)} answers and pages, {len(to_chris)} emails, {len(events)} events")
        assert not found, found

        # The scan does see Alex's details where they belong: in the letters to her.
        assert leaks("\n".join(letter_text(m) for m in mailbox.to(ALEX["email"])))


async def _mail_with(box: Mailbox, address: str, fragment: str):
    return [m for m in box.to(address) if fragment in letter_text(m)]

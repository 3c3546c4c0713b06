"""Planned letters made into delivery rows: each rendered once (so a resend is the same message),
with its attachments, and written pending for the sender sweep."""

from functools import partial
from typing import Any

from notifications import domain, store
from notifications.attachments import Attachment, calendar, certificate
from notifications.config import Settings
from notifications.domain import Inboxes, Planned, Source, UnitOfWork
from notifications.templates import Renderer
from ptfc.handlers import Meta


class Letters:
    """Renders planned messages into delivery rows, once, so a resend is the same message."""

    def __init__(self, settings: Settings) -> None:
        self.renderer = Renderer(settings.local_timezone)
        self.inboxes = Inboxes(settings.provider_inboxes, settings.courts_inbox)
        self.common = {
            "support_email": settings.support_email,
            "support_phone": settings.support_phone,
            "hub_url": settings.hub_url,
        }

    def attachments(self, planned: Planned, now: Any) -> list[Attachment]:
        files = []
        for kind in planned.attachments:
            if kind == "ics":
                files.append(calendar(planned.context, now))
            elif kind == "certificate":
                files.append(
                    certificate(planned.context, partial(self.renderer.day, lang=planned.language), planned.language)
                )
        return files

    async def plan(
        self,
        uow: UnitOfWork,
        meta: Meta,
        planned: list[Planned],
        fca_id: str | None,
        referral_id: str | None,
        sealed_link: str | None = None,  # the link, as sealed on the bus: put in at send (links.py)
    ) -> None:
        now = uow.now()
        source = Source(str(meta.event_id), meta.type, meta.correlation_id, fca_id, referral_id)
        rows = []
        for p in planned:
            message = self.renderer.render(p.template, p.language, {**self.common, **p.context})
            rendered = {
                "subject": message.subject,
                "text": message.text,
                "html": message.html,
                "attachments": store.attachments_doc(self.attachments(p, now)),
                "sealed_link": sealed_link,
            }
            rows.append(domain.delivery(p, source, uow.new_id(), rendered, now))
        await uow.plan_deliveries(rows)

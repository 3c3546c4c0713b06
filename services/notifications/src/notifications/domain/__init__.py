"""Rules of notifications with no I/O, one module per topic:

- `records`: the templates and which go first, a parent's contact, the referral's professionals, a
  workshop's place, a planned letter.
- `deliveries`: what a delivery row holds, what each attempt leaves behind, when a message may be
  sent again.
- `webhooks`: partners' webhooks: the events they may receive, endpoint addresses, signatures.
- `base`: the unit of work the event rules below read and write through.
- `people` (contacts kept, changed, withdrawn, resumed) and `progress` (a parent's progress and
  plans ask for letters): what each event keeps and which letters it plans; handlers.py calls them.
  Which event becomes which letter is letters.py; they are imported from their modules, not here,
  because letters.py reads the records above.

The names below are the ones the service's other files (api, store, outgoing, sweeps) call."""

from notifications.domain.base import UnitOfWork
from notifications.domain.deliveries import (
    Attempt,
    Source,
    after_attempt,
    delivery,
    failure_summary,
    given_up,
    not_sent,
    resend,
    retry_delay,
    retry_later,
)
from notifications.domain.records import (
    PARENT_TEMPLATES,
    PROFESSIONAL_TEMPLATES,
    Booking,
    Contact,
    Inboxes,
    Planned,
    Referral,
    contact_kept,
    rank,
    referral_kept,
)
from notifications.domain.webhooks import (
    WEBHOOK_EVENTS,
    Refused,
    address_refused,
    addresses_refusal,
    already_registered,
    endpoint_disabled,
    new_webhook_secret,
    partner_view,
    sign_webhook,
    sign_webhook_with,
    signing_secrets,
    webhook_delivery,
    webhook_url_refusal,
)

__all__ = [
    "PARENT_TEMPLATES",
    "PROFESSIONAL_TEMPLATES",
    "WEBHOOK_EVENTS",
    "Attempt",
    "Booking",
    "Contact",
    "Inboxes",
    "Planned",
    "Referral",
    "Refused",
    "Source",
    "UnitOfWork",
    "address_refused",
    "addresses_refusal",
    "after_attempt",
    "already_registered",
    "contact_kept",
    "delivery",
    "endpoint_disabled",
    "failure_summary",
    "given_up",
    "new_webhook_secret",
    "not_sent",
    "partner_view",
    "rank",
    "referral_kept",
    "resend",
    "retry_delay",
    "retry_later",
    "sign_webhook",
    "sign_webhook_with",
    "signing_secrets",
    "webhook_delivery",
    "webhook_url_refusal",
]

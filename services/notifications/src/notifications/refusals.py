"""Domain refusals → RFC 9457 problems: a row's present state is 409; an endpoint address we will
not post to is 422."""

from notifications.domain import Refused
from ptfc.openapi import Declared
from ptfc.problems import Problem


def problem(refused: Refused) -> Problem:
    status = 422 if refused.reason.startswith("webhook-url-") else 409
    return Problem(status, refused.reason, refused.title, refused.detail, **refused.extra)


# The problems each operation answers besides those of every route (ptfc.openapi): its OpenAPI
# lists them, and a test fails on any other (ptfc.testing.plugin).
URL = (
    "webhook-url-not-https",
    "webhook-url-has-credentials",
    "webhook-url-unresolvable",
    "webhook-url-address-not-allowed",
)
ROUTES: Declared = {
    "POST /notifications/{notification_id}/resend": {409: ("not-finished",)},
    "POST /webhooks": {409: ("webhook-already-registered", "credential-not-replayed"), 422: URL},
    "POST /webhooks/{endpoint_id}/enable": {409: ("webhook-already-registered",), 422: URL},
    "POST /webhooks/{endpoint_id}/rotate-secret": {409: ("credential-not-replayed",)},
    "POST /webhooks/{endpoint_id}/replay": {409: ("webhook-endpoint-disabled",)},
}

"""Domain refusals → RFC 9457 problems (ptfc.refusals: `build_app(refusals=WORDS)` answers each):
a row's present state is 409; an endpoint address we will not post to is 422."""

from ptfc.openapi import Declared
from ptfc.refusals import Table

WORDS: Table = {
    "not-finished": (409, "Not sent yet"),
    "webhook-url-not-https": (422, "Endpoint must use HTTPS"),
    "webhook-url-has-credentials": (422, "Endpoint address holds credentials"),
    "webhook-url-unresolvable": (422, "Endpoint name not found"),
    "webhook-url-address-not-allowed": (422, "Endpoint address not allowed"),
    "webhook-already-registered": (409, "Endpoint already registered"),
    "webhook-endpoint-disabled": (409, "Endpoint disabled"),
}


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

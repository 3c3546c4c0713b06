"""Domain refusals → RFC 9457 problems: a row's present state is 409; an endpoint address we will
not post to is 422."""

from notifications.domain import Refused
from ptfc.problems import Problem


def problem(refused: Refused) -> Problem:
    status = 422 if refused.reason.startswith("webhook-url-") else 409
    return Problem(status, refused.reason, refused.title, refused.detail, **refused.extra)

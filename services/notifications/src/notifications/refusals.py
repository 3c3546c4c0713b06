"""Domain refusals → RFC 9457 problems. The only one here is about a row's present state: 409."""

from notifications.domain import Refused
from ptfc.problems import Problem


def problem(refused: Refused) -> Problem:
    return Problem(409, refused.reason, refused.title, refused.detail)

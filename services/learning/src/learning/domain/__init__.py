"""Rules of the e-learning, with no I/O, one module per topic, each topic's pure rules beside its write
rules (which work on stored documents through `base.UnitOfWork`: store.py gives the MongoDB one, tests
an in-memory one, so every state change is here and tested without servers; what a write rule saves
and the events it emits commit together):

- `base`: the states, the unit of work, the settings the rules read (`Rules`), the refusals of a
  closed course or enrolment.
- `links`: tokens and single-use links: the welcome letter, a re-issue, sign-in links a parent asks
  for (or the letter that their course is closed).
- `enrolments`: opening a course (and a re-order's new one), a withdrawal.
- `sessions`: what a link opens (activation, sign-in), a parent's session and sign-out.
- `modules`: unlock order, where a parent picks up, a module's activity, completing a module.
- `clock`: the 10-day clock: deadline, reminders, extension, the missed deadline, expired links.

The names below are the ones the service's other files (api, views, schemas, store, handlers,
sweeps) and its tests call."""

from learning.domain.base import ACTIVATIONS, NOTICES, SIGN_IN, SIGN_INS, Refused, UnitOfWork, event_ids
from learning.domain.clock import (
    days_left,
    expire_activation,
    extend,
    extended,
    first_deadline,
    miss,
    next_reminder,
    remind,
)
from learning.domain.enrolments import open_enrolment, reorder, withdraw
from learning.domain.links import answer_sign_in, hash_token, hub_link, new_token, reissue
from learning.domain.modules import (
    ModuleStatus,
    Verdict,
    check_activity,
    complete_module,
    grade,
    module_status,
    refusal,
    refuse_unless_open,
    resume_point,
)
from learning.domain.sessions import activate, current_session, end_session, open_session, sign_in

__all__ = [
    "ACTIVATIONS",
    "NOTICES",
    "SIGN_IN",
    "SIGN_INS",
    "ModuleStatus",
    "Refused",
    "UnitOfWork",
    "Verdict",
    "activate",
    "answer_sign_in",
    "check_activity",
    "complete_module",
    "current_session",
    "days_left",
    "end_session",
    "event_ids",
    "expire_activation",
    "extend",
    "extended",
    "first_deadline",
    "grade",
    "hash_token",
    "hub_link",
    "miss",
    "module_status",
    "new_token",
    "next_reminder",
    "open_enrolment",
    "open_session",
    "refusal",
    "refuse_unless_open",
    "reissue",
    "remind",
    "reorder",
    "resume_point",
    "sign_in",
    "withdraw",
]

"""Who may see and do what with a session: provider staff their provider's sessions, a
facilitator the sessions they run for their own provider. A facilitator is known by the pair
(provider, subject): a subject is only unique within the organisation whose identity provider
issued it, so a token of another provider naming the same subject is a stranger here. A record
the caller may not see is answered as not found."""

from ptfc.auth import Caller
from ptfc.problems import not_found


def manages(caller: Caller, session: dict) -> bool:
    return caller.role == "provider" and caller.provider is not None and caller.provider == session["provider"]


def runs(caller: Caller, session: dict) -> bool:
    return (
        caller.role == "facilitator"
        and caller.provider is not None
        and caller.provider == session["provider"]
        and caller.sub in session.get("facilitators", [])
    )


def visible(caller: Caller, session: dict | None) -> dict:
    if session is None or not (manages(caller, session) or runs(caller, session)):
        raise not_found("session")
    return session


def session_scope(caller: Caller) -> dict:
    """The sessions a staff list may show."""
    caller.require("provider", "facilitator")
    if caller.role == "provider":
        return {"provider": caller.provider or "-"}
    return {"facilitators": caller.sub, "provider": caller.provider or "-"}


def followup_scope(caller: Caller) -> dict:
    """The follow-up calls a staff list may show: a facilitator's own (of their provider), or the provider's."""
    caller.require("facilitator", "provider")
    if caller.role == "facilitator":
        return {"facilitator": caller.sub, "provider": caller.provider or "-"}
    return {"provider": caller.provider or "-"}

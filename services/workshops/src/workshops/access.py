"""Who may see and do what with a session: provider staff their provider's sessions, a
facilitator the sessions they run. A record the caller may not see is answered as not found."""

from ptfc.auth import Caller
from ptfc.problems import not_found


def manages(caller: Caller, session: dict) -> bool:
    return caller.role == "provider" and caller.provider is not None and caller.provider == session["provider"]


def runs(caller: Caller, session: dict) -> bool:
    return caller.role == "facilitator" and caller.sub in session.get("facilitators", [])


def visible(caller: Caller, session: dict | None) -> dict:
    if session is None or not (manages(caller, session) or runs(caller, session)):
        raise not_found("session")
    return session


def session_scope(caller: Caller) -> dict:
    """The sessions a staff list may show."""
    caller.require("provider", "facilitator")
    if caller.role == "provider":
        return {"provider": caller.provider or "-"}
    return {"facilitators": caller.sub}

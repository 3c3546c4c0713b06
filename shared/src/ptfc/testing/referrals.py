"""A referral as Cafcass posts it (`POST /referrals`): a court order for two co-parents, one place to
change when the request changes. `changes` replace any field; each test names what it relies on."""

from typing import Any


def person(given: str, family: str, email: str, phone: str, gender: str | None = None, **more: Any) -> dict[str, Any]:
    """One parent as the FCA gives them; `more`: language, adjustments, availability."""
    found = {"given_name": given, "family_name": family, "email": email, "phone": phone}
    return found | ({"gender": gender} if gender else {}) | more


ALEX = person("Alex", "Jones", "alex@example.org", "07700900001", "female")
CHRIS = person("Chris", "Rowe", "chris@example.org", "07700900002", "male")


def referral_body(*parents: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A court order at the first hearing, in London, by the FCA Sam Patel, for `parents` (Alex
    and Chris unless given) and one child of 6."""
    body = {
        "case_number": "MA24P00123",
        "court": "Central Family Court",
        "source": "court_order",
        "stage": "first_hearing",
        "court_declined": False,
        "safeguarding_concerns": False,
        "region": "London",
        "fca": {"name": "Sam Patel", "email": "sam.patel@cafcass.example"},
        "parents": list(parents) or [ALEX, CHRIS],
        "children": [{"age": 6}],
    }
    return body | changes

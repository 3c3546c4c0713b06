"""Changing how to reach a parent (issue 24, finding 5): only the FCA who made the referral, once
per Idempotency-Key, audited on the referral (who, when, why), and told by its own event with the
new details sealed for notifications and the new sign-in key for learning, never in clear."""

from ptfc.events import ReferralContactChanged
from ptfc.lookup import email_key
from ptfc.settings import DEV_CONTACT_SEAL_KEY, DEV_EMAIL_LOOKUP_KEY
from ptfc.testing.plugin import bearer

from .conftest import FCA

FAMILY_ACTION = bearer("provider", "staff-fa", provider="family-action")
MANCHESTER = bearer("court", "clerk-m", court="Manchester Civil Justice Centre")
NEW = {"email": "alex.new@example.org", "phone": "07700900111", "reason": "parent_asked"}


def path(referral_id: str, participant_id: str) -> str:
    return f"/referrals/{referral_id}/participants/{participant_id}/contact"


async def test_the_fca_changes_a_parents_contact_once_audited_and_sealed(kit, tap):
    referral_id, (alex, _chris) = await kit.referred()
    headers = {**FCA, "Idempotency-Key": "c1"}
    done = await kit.client.post(path(referral_id, alex), json=NEW, headers=headers)
    again = await kit.client.post(path(referral_id, alex), json=NEW, headers=headers)
    assert done.status_code == again.status_code == 200, done.text
    assert done.json() == again.json()
    assert done.json() | {"at": None} == {
        "participant_id": alex,
        "by": "fca-sam",
        "at": None,
        "reason": "parent_asked",
        "email_changed": True,
        "phone_changed": True,
    }
    assert "alex.new" not in done.text

    [changed] = await tap.wait_for("referral.contact_changed")
    assert changed.producer == "referrals" and changed.correlation_id == referral_id
    assert "alex.new" not in changed.model_dump_json() and "07700900111" not in changed.model_dump_json()
    data = ReferralContactChanged.model_validate(changed.data)
    opened = data.contact(DEV_CONTACT_SEAL_KEY)
    assert (opened.participant_id, opened.email, opened.phone) == (alex, NEW["email"], NEW["phone"])
    assert data.sign_in_key == email_key(DEV_EMAIL_LOOKUP_KEY, NEW["email"])
    assert (data.reason, data.email_changed, data.phone_changed) == ("parent_asked", True, True)

    view = await kit.view(referral_id)
    [audit] = view["contact_changes"]
    assert audit["by"] == "fca-sam" and audit["reason"] == "parent_asked" and audit["participant_id"] == alex
    timeline = (await kit.parent(referral_id, alex))["timeline"]
    assert timeline[-1]["event"] == "referral.contact_changed"
    stored = await kit.db.participants.find_one({"_id": __import__("bson").ObjectId(alex)})
    assert "alex.new" not in repr(stored) and "07700900111" not in repr(stored)


async def test_only_the_referring_fca_may_change_a_contact_and_bad_requests_are_refused(kit, tap):
    referral_id, (alex, chris) = await kit.referred()
    url = path(referral_id, alex)
    for who in (FAMILY_ACTION, MANCHESTER, bearer("parent", alex)):
        assert (await kit.client.post(url, json=NEW, headers=who)).status_code == 403
    other_fca = await kit.client.post(url, json=NEW, headers=bearer("cafcass", "fca-other"))
    assert other_fca.status_code == 404  # another FCA's referral: answered as unknown

    refusals = {
        "nothing": ({"reason": "parent_asked"}, 422, "invalid-request"),
        "no reason": ({"email": "a@b.example"}, 422, "invalid-request"),
        "free text": ({"email": "a@b.example", "reason": "she moved to the refuge"}, 422, "invalid-request"),
        "the same email": ({"email": "alex@example.org", "reason": "parent_asked"}, 422, "contact-unchanged"),
        "the co-parent's": ({"email": "CHRIS@example.org", "reason": "address_wrong"}, 422, "same-parent-twice"),
    }
    for name, (body, status, kind) in refusals.items():
        answer = await kit.client.post(url, json=body, headers=FCA)
        assert answer.status_code == status, (name, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json"), name
        assert answer.json()["type"].endswith(f"/{kind}"), (name, answer.json())
    unknown = await kit.client.post(path(referral_id, "0" * 24), json=NEW, headers=FCA)
    assert unknown.status_code == 404

    await kit.client.post(f"/referrals/{referral_id}/withdraw", json={"reason": "closed"}, headers=FCA)
    withdrawn = await kit.client.post(path(referral_id, chris), json=NEW, headers=FCA)
    assert withdrawn.status_code == 409 and withdrawn.json()["type"].endswith("/referral-withdrawn")
    assert await tap.of("referral.contact_changed") == []

"""The test factories build every event type of the catalogue, so no test writes its own."""

from ptfc.events import EVENTS, ReferralCreated
from ptfc.settings import DEV_CONTACT_SEAL_KEY
from ptfc.testing.events import event, participant, referral_created


def test_every_event_type_has_a_factory():
    built = {kind: event(kind) for kind in EVENTS}
    assert {kind: type(e) for kind, e in built.items()} == EVENTS


def test_referral_created_carries_the_given_parents_and_changes():
    alex = participant("p-a", "Alex", "Morgan", language="pl")
    created = referral_created("r-9", alex, court="Leeds Combined Court", fca_id="fca-9")
    assert isinstance(created, ReferralCreated)
    # v2: sealed as referrals seals them (the development keys); notifications' key opens them
    assert created.contacts(DEV_CONTACT_SEAL_KEY) == [alex] and created.participants[0].preferred_language == "pl"
    assert "Morgan" not in created.model_dump_json()
    assert (created.court, created.fca_id, created.referral_id) == ("Leeds Combined Court", "fca-9", "r-9")

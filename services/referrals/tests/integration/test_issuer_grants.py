"""A partner's identity provider is trusted for its own organisation only (ptfc.issuers): Action
for Children's cannot mint Family Action staff, a Cafcass adviser or an operator, so a token it signs
claiming any of them reads nothing, where the same claims from an issuer that may grant them do."""

import pytest

from ptfc.auth import issue_token
from ptfc.issuers import Issuer
from ptfc.settings import ServiceSettings
from ptfc.testing.keys import another_key, public_half
from ptfc.testing.plugin import bearer
from referrals.config import Settings

from .conftest import CONTACTS

AFC_IDP = "https://idp.action-for-children.example"
AFC_KEY = another_key()


def afc(role: str, sub: str, provider: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(AFC_KEY, role, sub, provider, issuer=AFC_IDP)}"}


@pytest.fixture
def settings(make_settings) -> Settings:
    afc_grant = Issuer(
        public_key=public_half(AFC_KEY),
        roles=["provider", "facilitator"],
        providers=["action-for-children"],
        subject_prefix="afc:",
    )
    issuers = {**ServiceSettings.model_fields["jwt_issuers"].default, AFC_IDP: afc_grant}
    return make_settings(Settings, jwt_issuers=issuers)


async def test_a_partner_issuer_bound_to_one_provider_cannot_read_another_providers_referrals(kit):
    referral_id, _ = await kit.referred()  # Greater Manchester: Family Action's
    worklist = "/providers/family-action/contacts-due"
    forged_fa = afc("provider", "afc:ann", "family-action")
    for path in (f"/referrals/{referral_id}", "/referrals", worklist):
        answer = await kit.client.get(path, headers=forged_fa)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.json()["type"].endswith("/invalid-token") and "provider" in answer.json()["detail"]
        assert "participants" not in answer.text and not any(contact in answer.text for contact in CONTACTS)
    for beyond in (afc("cafcass", "afc:ann"), afc("ops", "afc:ann"), afc("provider", "fa:ann", "action-for-children")):
        assert (await kit.client.get("/referrals", headers=beyond)).status_code == 401

    # Its own staff are let in, and see their own provider's records only.
    own = afc("provider", "afc:ann", "action-for-children")
    assert (await kit.client.get(f"/referrals/{referral_id}", headers=own)).status_code == 404
    assert (await kit.client.get("/referrals", headers=own)).json()["items"] == []
    # The same claims from the issuer that may grant Family Action read the referral.
    fa = bearer("provider", "staff-fa", "family-action")
    assert (await kit.client.get(f"/referrals/{referral_id}", headers=fa)).status_code == 200

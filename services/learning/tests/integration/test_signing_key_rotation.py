"""Learning's signing key changes with overlap (docs/operations.md, "Rotating keys"): while every
service trusts `ptfc-learning` with both keys (`public_keys`, each known by its `kid`), a parent's
token signed with the old key still works after learning signs with the new one; once the old key
is removed, that token is refused and the new ones work. Before, the issuer held one key, so the
switch refused every token signed a moment earlier."""

import jwt

from learning.app import create_app
from ptfc.issuers import Issuer
from ptfc.keys import key_id
from ptfc.settings import PARENT_TOKEN_ISSUER
from ptfc.testing.keys import another_key, public_half
from ptfc.testing.plugin import running


def trusting(*private_keys: str) -> dict[str, Issuer]:
    return {PARENT_TOKEN_ISSUER: Issuer(public_keys=[public_half(key) for key in private_keys], roles=["parent"])}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_signed_with_the_old_key_works_during_the_overlap_and_not_after(hub):
    old, new = another_key(), another_key()
    before = hub.settings(jwt_private_key=old, jwt_issuers=trusting(old))
    async with running(create_app(before)) as client:
        await hub.refer("r-rot1", "rota")
        session = (await client.post("/activate", json={"token": await hub.token("rota")})).json()
        signed_old = session["access_token"]
        assert jwt.get_unverified_header(signed_old)["kid"] == key_id(old)

    # Step 1 and 2: every service holds both keys, then learning signs with the new one.
    overlap = before.model_copy(update={"jwt_private_key": new, "jwt_issuers": trusting(old, new)})  # same store
    async with running(create_app(overlap)) as client:
        assert (await client.get("/me/course", headers=bearer(signed_old))).status_code == 200
        refreshed = await client.post("/sessions/refresh", json={"refresh_token": session["refresh_token"]})
        signed_new = refreshed.json()["access_token"]
        assert jwt.get_unverified_header(signed_new)["kid"] == key_id(new) != key_id(old)
        assert (await client.get("/me/course", headers=bearer(signed_new))).status_code == 200

    # Step 3: the old key removed; what it signed is refused, what the new one signed still works.
    after = before.model_copy(update={"jwt_private_key": new, "jwt_issuers": trusting(new)})
    async with running(create_app(after)) as client:
        refused = await client.get("/me/course", headers=bearer(signed_old))
        assert refused.status_code == 401 and refused.json()["type"].endswith("/invalid-token")
        assert (await client.get("/me/course", headers=bearer(signed_new))).status_code == 200


async def test_a_key_nobody_configured_is_refused_whatever_kid_it_claims(hub):
    old, new, forger = another_key(), another_key(), another_key()
    async with running(create_app(hub.settings(jwt_private_key=new, jwt_issuers=trusting(old, new)))) as client:
        await hub.refer("r-rot2", "rotb")
        session = (await client.post("/activate", json={"token": await hub.token("rotb")})).json()
        claims = jwt.decode(session["access_token"], options={"verify_signature": False})
        for kid in (key_id(old), key_id(new), "made-up"):
            forged = jwt.encode(claims, forger, algorithm="EdDSA", headers={"kid": kid})
            assert (await client.get("/me/course", headers=bearer(forged))).status_code == 401

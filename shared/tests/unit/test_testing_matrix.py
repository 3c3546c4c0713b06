"""The authorisation matrices' shared cells (ptfc.testing.matrix): a cell is what an owner and another
person of a role were answered, and a table row cannot name a role that does not exist."""

import pytest

from ptfc.testing import matrix

ROLES = ("cafcass", "provider", "parent", "none")


def test_a_row_is_denied_to_every_role_it_does_not_name_and_others_hides_from_the_signed_in():
    row = matrix.rows(ROLES)
    assert row(provider="A/H") == {"cafcass": "D", "provider": "A/H", "parent": "D", "none": "D"}
    assert row(others="H", cafcass="A") == {"cafcass": "A", "provider": "H", "parent": "H", "none": "D"}


def test_a_row_naming_no_role_fails_instead_of_passing_unchecked():
    with pytest.raises(AssertionError, match="facilitator"):
        matrix.rows(ROLES)(facilitator="A")


async def test_a_cell_is_one_letter_when_owner_and_other_agree_else_owner_slash_other():
    asked = []

    async def ask(role: str, subject: str) -> str:
        asked.append((role, subject))
        return {"cafcass": "A", "provider": "A" if subject == "owner" else "H"}.get(role, "D")

    cells = await matrix.cells_of(ROLES, ask)
    assert cells == {"cafcass": "A", "provider": "A/H", "parent": "D", "none": "D"}
    assert asked[:2] == [("cafcass", "other"), ("cafcass", "owner")]  # another person first
    assert matrix.mismatches("GET /x", cells, {**cells, "provider": "A"}) == ["GET /x as provider: A/H, expected A"]


def test_an_answer_names_a_seeded_record_only_when_the_request_did_not():
    values = {"referral_id": "r-1", "plan_id": "p-9"}
    assert matrix.named("r-1 and p-9", values, values, asked="/referrals/r-1") == ["plan_id"]
    assert matrix.uncovered("pages", {("GET", "/a")}, {("GET", "/a")}) is None
    assert "('GET', '/b')" in matrix.uncovered("pages", {("GET", "/a"), ("GET", "/b")}, {("GET", "/a")})

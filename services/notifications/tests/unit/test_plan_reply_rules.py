"""The plan's reply email follows the withdrawal rule of every parent letter (checked by breaking it in
letters.py: tests/mutants/run.py, docs/rules.md)."""

from dataclasses import replace

from notifications.letters import plan_reply

from .samples import A


def test_a_withdrawn_parent_is_sent_no_plan_reply_email_and_an_invitee_by_email_still_is():
    assert plan_reply("proposal", "en", A).skip_reason is None
    assert plan_reply("agreed", "pl", replace(A, withdrawn=True)).skip_reason == "referral_withdrawn"
    invitee = plan_reply("proposal", "en", None, invitation_id="inv-1", to="friend@elsewhere.example")
    assert invitee.skip_reason is None and invitee.to == "friend@elsewhere.example"

"""The first letter a parent gets, and the provider's heads-up: each sent once, whatever happens."""

from notifications.app import create_app
from ptfc.events import ActivationIssued, ReferralReordered
from ptfc.sealing import seal
from ptfc.settings import DEV_LINK_SEAL_KEY
from ptfc.testing.plugin import running

from .conftest import ALEX, PROVIDER_INBOX, SAMIRA, html_of, parent, referral, soon, text_of


def activation(referral_id: str, pid: str, **changes) -> ActivationIssued:
    values = {
        "referral_id": referral_id,
        "participant_id": pid,
        "enrolment_id": f"e-{pid}",
        "sealed_activation_url": seal(DEV_LINK_SEAL_KEY, f"https://hub.example/activate?token=tok-{pid}"),
        "expires_at": soon(72),
        "deadline": soon(240),
        **changes,
    }
    return ActivationIssued(**values)


async def test_welcome_letter_is_sent_once_also_when_redelivered_and_after_a_restart(kit, tap):
    settings = kit.settings()
    app = create_app(settings)
    async with running(app):
        await kit.publish(referral("r-1"))
        issued = await kit.publish(activation("r-1", ALEX.participant_id))
        [letter] = await kit.mail_to(ALEX.email)
        await kit.publish(envelope=issued, msg_id="redelivered")  # the same event, delivered again
        await kit.until_settled(app)

    again = create_app(settings)
    async with running(again):  # a restart, then the event once more
        await kit.publish(envelope=issued, msg_id="after-restart")
        await kit.until_settled(again)

    assert len(kit.mailbox.to(ALEX.email)) == 1
    assert letter["Subject"] == "Welcome to Planning Together for Children"
    body = text_of(letter)
    assert "https://hub.example/activate?token=tok-p-alex" in body
    assert "72 hours" in body and "Dear Alex" in body
    assert 'href="https://hub.example/activate?token=tok-p-alex"' in html_of(letter)
    sent = [e for e in await tap.of("notification.sent") if e.data["template"] == "welcome"]
    assert len(sent) == 1 and sent[0].data["recipient_role"] == "parent"
    assert sent[0].data["source_event_id"] == str(issued.event_id)


async def test_provider_hears_of_each_parent_in_a_message_of_its_own(kit):
    app = create_app(kit.settings())
    async with running(app):
        await kit.publish(referral("r-2"))
        messages = await kit.mail_to(PROVIDER_INBOX, count=2)
        await kit.until_settled(app)
    assert len(kit.mailbox.to(PROVIDER_INBOX)) == 2
    about_alex = next(m for m in messages if "Alex" in str(m["Subject"]))
    about_samira = next(m for m in messages if "Samira" in str(m["Subject"]))
    assert ALEX.email in text_of(about_alex) and ALEX.phone in text_of(about_alex)
    for detail in (SAMIRA.given_name, SAMIRA.family_name, SAMIRA.email, SAMIRA.phone):
        assert detail not in about_alex.as_string()
    for detail in (ALEX.given_name, ALEX.family_name, ALEX.email, ALEX.phone):
        assert detail not in about_samira.as_string()


async def test_urdu_welcome_letter_reads_right_to_left(kit):
    app = create_app(kit.settings())
    async with running(app):
        await kit.publish(referral("r-3"))
        await kit.publish(activation("r-3", SAMIRA.participant_id))
        [letter] = await kit.mail_to(SAMIRA.email)
    html = html_of(letter)
    assert '<html lang="ur" dir="rtl">' in html
    assert "خوش آمدید" in str(letter["Subject"])


async def test_an_event_before_its_referral_waits_for_the_contact_details(kit):
    app = create_app(kit.settings())
    async with running(app):
        await kit.publish(activation("r-4", ALEX.participant_id))  # learning was quicker than us
        await kit.publish(referral("r-4"))
        [letter] = await kit.mail_to(ALEX.email)
        await kit.until_settled(app)
    assert "Dear Alex" in text_of(letter)


async def test_two_replicas_side_by_side_send_each_message_once(kit, tap):
    settings = kit.settings()
    first, second = create_app(settings), create_app(settings)
    parents = [parent(f"p-{i}", f"Parent{i}", f"Family{i}") for i in range(6)]
    async with running(first), running(second):
        for i, person in enumerate(parents):
            await kit.publish(referral(f"r-rep-{i}", person))
            await kit.publish(activation(f"r-rep-{i}", person.participant_id))
        await tap.wait_for("notification.sent", count=12)
        await kit.until_settled(first)
    assert len(kit.mailbox.to(PROVIDER_INBOX)) == 6
    assert all(len(kit.mailbox.to(p.email)) == 1 for p in parents)
    assert len(await tap.of("notification.sent")) == 12


async def test_a_re_ordered_course_brings_the_provider_a_fresh_heads_up_once(kit):
    app = create_app(kit.settings())
    async with running(app):
        await kit.publish(referral("r-ro", ALEX))
        await kit.mail_to(PROVIDER_INBOX)
        reorder = ReferralReordered(
            referral_id="r-ro", participant_id=ALEX.participant_id, cycle=2, provider="family-action"
        )
        envelope = await kit.publish(reorder)
        await kit.publish(envelope=envelope, msg_id="redelivered")
        [heads_up] = await kit.mail_to("fa@fa.example")
        await kit.until_settled(app)
    assert ALEX.phone in text_of(heads_up) and ALEX.email in text_of(heads_up)
    assert len(kit.mailbox.to("fa@fa.example")) == 1 and len(kit.mailbox.to(PROVIDER_INBOX)) == 1

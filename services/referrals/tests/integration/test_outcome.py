"""Following a parent through the other services' events, and the court-facing outcome: decided
exactly once per cycle, whatever order events arrive in and however often they are redelivered."""

from ptfc.testing.plugin import eventually


async def outcomes(tap, participant_id: str) -> list[dict]:
    found = await tap.of("course.completed") + await tap.of("course.incomplete")
    return [e.data | {"type": e.type} for e in found if e.data["participant_id"] == participant_id]


async def settled(kit, envelopes) -> None:
    for envelope in envelopes:
        await eventually(lambda e=envelope: kit.handled(e))


async def test_completed_once_both_parts_are_done_in_either_order(kit, tap):
    referral_id, (alex, chris) = await kit.referred()
    sent = [
        await kit.send("account.activation_issued", referral_id, alex),
        await kit.send("account.activated", referral_id, alex),
        await kit.send("module.completed", referral_id, alex, module=3, modules_completed=3),
    ]
    await settled(kit, sent)
    parent = await kit.parent(referral_id, alex)
    assert parent["status"] == "elearning_in_progress" and parent["modules_completed"] == 3

    await kit.send("learning.completed", referral_id, alex)
    await kit.send("workshop.attended", referral_id, chris)  # the co-parent's order is the other way round
    await kit.send("workshop.attended", referral_id, alex)
    await kit.send("learning.completed", referral_id, chris)
    await tap.wait_for("course.completed", count=2)

    [alex_outcome] = await outcomes(tap, alex)
    assert alex_outcome["type"] == "course.completed" and alex_outcome["cycle"] == 1
    assert alex_outcome["case_number"] == "MA24P00123"
    assert alex_outcome["elearning_completed_at"].startswith("2026-01-10")
    view = await kit.view(referral_id)
    assert view["status"] == "completed"
    alex_view = next(p for p in view["participants"] if p["participant_id"] == alex)
    assert alex_view["status"] == "completed" and alex_view["modules_completed"] == 8
    assert [e["event"] for e in alex_view["timeline"]][-3:] == [
        "learning.completed",
        "workshop.attended",
        "course.completed",
    ]
    assert "activation_url" not in str(alex_view) and "sealed" not in str(alex_view)


async def test_a_redelivered_event_changes_nothing(kit, tap):
    referral_id, (alex, _) = await kit.referred()
    await kit.send("learning.completed", referral_id, alex)
    attended = kit.envelope("workshop.attended", referral_id, alex)
    await kit.publish(attended, msg_id="first")
    await kit.publish(attended, msg_id="second")  # the same event again, past JetStream's dedupe
    await tap.wait_for("workshop.attended", count=2)
    await tap.wait_for("course.completed")
    await eventually(lambda: kit.handled(attended))
    # A late duplicate of an outcome-deciding event, once the outcome is known.
    await kit.publish(kit.envelope("learning.completed", referral_id, alex))
    await kit.publish(attended, msg_id="third")
    marker = await kit.send("module.completed", referral_id, alex, module=8, modules_completed=8)
    await eventually(lambda: kit.handled(marker))

    assert len(await outcomes(tap, alex)) == 1
    timeline = (await kit.parent(referral_id, alex))["timeline"]
    assert [e["event"] for e in timeline].count("workshop.attended") == 1


async def test_a_missed_deadline_is_incomplete_and_nothing_after_changes_it(kit, tap):
    referral_id, (alex, chris) = await kit.referred()
    await kit.send("module.completed", referral_id, alex, module=2, modules_completed=2)
    await kit.send("learning.deadline_missed", referral_id, alex, modules_completed=2)
    [incomplete] = await tap.wait_for("course.incomplete")
    assert incomplete.data["participant_id"] == alex
    assert incomplete.data["reason"] == "elearning_deadline_missed" and incomplete.data["modules_completed"] == 2

    late = [
        await kit.send("learning.completed", referral_id, alex),
        await kit.send("workshop.attended", referral_id, alex),
    ]
    await settled(kit, late)
    assert [o["type"] for o in await outcomes(tap, alex)] == ["course.incomplete"]
    assert (await kit.view(referral_id))["status"] == "active"  # Chris is still going
    assert (await kit.parent(referral_id, chris))["status"] == "referred"


async def test_a_workshop_missed_twice_is_incomplete_once_rebooked_and_attended_completes(kit, tap):
    referral_id, (alex, chris) = await kit.referred()
    sent = []
    for parent in (alex, chris):
        sent.append(await kit.send("learning.completed", referral_id, parent))
        sent.append(await kit.send("workshop.booked", referral_id, parent))
        sent.append(await kit.send("workshop.missed", referral_id, parent, misses=1, rebooking_offered=True))
    sent.append(await kit.send("workshop.booked", referral_id, alex, rebooking=True))
    await settled(kit, sent)
    assert (await kit.parent(referral_id, alex))["status"] == "workshop_booked"
    assert (await kit.parent(referral_id, chris))["status"] == "workshop_rebooking"
    assert await outcomes(tap, alex) == await outcomes(tap, chris) == []

    await kit.send("workshop.missed", referral_id, alex, misses=2, rebooking_offered=False)
    await kit.send("workshop.attended", referral_id, chris)
    await tap.wait_for("course.incomplete")
    await tap.wait_for("course.completed")
    [alex_outcome] = await outcomes(tap, alex)
    assert alex_outcome["type"] == "course.incomplete" and alex_outcome["reason"] == "workshop_missed"
    assert [o["type"] for o in await outcomes(tap, chris)] == ["course.completed"]
    assert (await kit.view(referral_id))["status"] == "incomplete"


async def test_reports_sent_and_unknown_parents_are_handled_without_fuss(kit, tap):
    referral_id, (alex, _) = await kit.referred()
    report = await kit.send("notification.sent", referral_id, alex, template="court_outcome", recipient_role="court")
    stranger = await kit.send("learning.completed", referral_id, "0123456789abcdef01234567")
    nonsense = await kit.send("account.activated", "no-such-referral", "not-an-id")
    await settled(kit, [report, stranger, nonsense])
    [line] = [e for e in (await kit.parent(referral_id, alex))["timeline"] if e["event"] == "notification.sent"]
    assert line["detail"] == {"template": "court_outcome", "recipient_role": "court"}
    assert await kit.db.dead_letters.count_documents({}) == 0

"""The intake, routing and outcome rules, without I/O."""

from datetime import UTC, datetime, timedelta

import pytest

from referrals.domain import (
    Outcome,
    Progress,
    Refused,
    apply,
    case_number,
    check_intake,
    decide,
    event_cycle,
    participant_status,
    referral_status,
    route,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def refusal(call, *args) -> str:
    with pytest.raises(Refused) as caught:
        call(*args)
    return caught.value.reason


# ---- intake --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["MA24P00123", "ma24p00123", " LV25F01234 "])
def test_case_numbers_of_the_court_form_are_accepted_in_upper_case(raw):
    assert case_number(raw) == raw.strip().upper()


@pytest.mark.parametrize("raw", ["", "MA24P0012", "MA24P001234", "M124P00123", "MA2XP00123", "MA24-0012", "MA24P0012٣"])
def test_other_case_numbers_are_refused(raw):
    assert refusal(case_number, raw) == "invalid-case-number"


@pytest.mark.parametrize(
    ("region", "provider"),
    [
        ("Greater Manchester", "family-action"),
        ("greater  manchester", "family-action"),
        ("Stockport", "family-action"),
        ("SOUTH YORKSHIRE", "family-action"),
        ("West Yorkshire", "family-action"),
        ("Liverpool", "family-action"),
        ("Merseyside", "family-action"),
        ("Birkenhead", "family-action"),
        ("Chester and Crewe", "family-action"),
        ("Cheshire West & Chester", "family-action"),
        ("Essex", "family-action"),
        ("Suffolk", "family-action"),
        ("Reading", "family-action"),
        ("Guildford", "family-action"),
        ("London", "action-for-children"),
        ("Kent", "action-for-children"),
        ("Birmingham", "action-for-children"),
        ("North Yorkshire", "action-for-children"),
        ("Norfolk", "action-for-children"),
        ("Stoke-on-Trent", "action-for-children"),
        ("North East England", "action-for-children"),
        ("Cornwall", "action-for-children"),
    ],
)
def test_region_routes_to_its_provider(region, provider):
    assert route(region) == provider


@pytest.mark.parametrize("region", ["North West", "Yorkshire", "South East", "England", "Surrey"])
def test_a_region_both_providers_cover_asks_for_the_county(region):
    assert refusal(route, region) == "region-ambiguous"


@pytest.mark.parametrize("region", ["Scotland", "Northern Ireland", "Isle of Man", "Glasgow", "Belfast", "Jersey"])
def test_regions_outside_england_are_refused(region):
    assert refusal(route, region) == "region-not-in-england"


@pytest.mark.parametrize("region", ["Narnia", "Atlantis", "12345", "Paris"])
def test_an_unknown_region_is_not_guessed(region):
    assert refusal(route, region) == "region-unknown"


@pytest.mark.parametrize(
    ("court", "region"),
    [
        ("Cardiff Civil and Family Justice Centre", "Kent"),
        ("Swansea Civil Justice Centre", "London"),
        ("Newport (Gwent) Civil and Family Court", "Essex"),
        ("Manchester Civil Justice Centre", "Wales"),
        ("Manchester Civil Justice Centre", "North Wales"),
        ("Manchester Civil Justice Centre", "Cymru"),
        ("Manchester Civil Justice Centre", "Wrexham"),
        ("Manchester Civil Justice Centre", "Rural West Wales"),  # no listed place, but it names Wales
        ("Manchester Civil Justice Centre", "Cymru wledig"),
    ],
)
def test_wales_is_refused_with_the_pointer_to_working_together_for_children(court, region):
    with pytest.raises(Refused) as caught:
        check_intake(False, False, court, region)
    assert caught.value.reason == "wales-out-of-scope"
    assert "Working Together for Children" in caught.value.detail
    assert "Cafcass Cymru" in caught.value.detail


def test_an_english_court_near_wales_is_not_mistaken_for_wales():
    assert check_intake(False, False, "Chester Civil Justice Centre", "Cheshire") == "family-action"
    assert check_intake(False, False, "Newport (Isle of Wight) Family Court", "Isle of Wight") == "action-for-children"


def test_safeguarding_and_a_declining_court_are_refused():
    assert refusal(check_intake, False, True, "Leeds Combined Court", "Leeds") == "safeguarding-concerns"
    assert refusal(check_intake, True, False, "Leeds Combined Court", "Leeds") == "court-declined"


# ---- the outcome ---------------------------------------------------------------------------------


def run(events: list[tuple[str, dict]]) -> Progress:
    progress = Progress()
    for i, (kind, data) in enumerate(events):
        progress = apply(progress, kind, data, T0 + timedelta(hours=i))
    return progress


LEARNED = ("learning.completed", {"completed_at": T0})
ATTENDED = ("workshop.attended", {"attended_at": T0 + timedelta(days=5)})


def test_completed_needs_both_the_elearning_and_the_workshop_in_either_order():
    assert decide(run([LEARNED])) is None
    assert decide(run([ATTENDED])) is None
    assert decide(run([LEARNED, ATTENDED])) == Outcome("completed")
    assert decide(run([ATTENDED, LEARNED])) == Outcome("completed")


def test_missed_deadline_is_incomplete_with_modules_done():
    progress = run([("module.completed", {"module": 1, "modules_completed": 3}), ("learning.deadline_missed", {})])
    assert decide(progress) == Outcome("incomplete", "elearning_deadline_missed")
    assert progress.modules_completed == 3


def test_a_first_missed_workshop_with_a_rebooking_is_not_an_outcome_the_second_is():
    first = run([LEARNED, ("workshop.missed", {"misses": 1, "rebooking_offered": True})])
    assert decide(first) is None
    assert participant_status(first, None) == "workshop_rebooking"
    second = apply(first, "workshop.missed", {"misses": 2, "rebooking_offered": False}, T0)
    assert decide(second) == Outcome("incomplete", "workshop_missed")


def test_attending_the_rebooked_workshop_completes():
    progress = run([LEARNED, ("workshop.missed", {"misses": 1, "rebooking_offered": True}), ATTENDED])
    assert decide(progress) == Outcome("completed")


def test_modules_count_never_goes_backwards_nor_past_eight():
    progress = run([("module.completed", {"module": 5, "modules_completed": 5})])
    progress = apply(progress, "module.completed", {"module": 2, "modules_completed": 2}, T0)
    assert progress.modules_completed == 5
    assert apply(progress, "module.completed", {"module": 9, "modules_completed": 12}, T0).modules_completed == 8


def test_status_follows_the_parents_progress():
    assert participant_status(Progress(), None) == "referred"
    issued = run([("account.activation_issued", {"deadline": T0})])
    assert participant_status(issued, None) == "invited"
    assert participant_status(run([("account.activated", {})]), None) == "elearning_in_progress"
    assert participant_status(run([LEARNED]), None) == "elearning_complete"
    booked = run([LEARNED, ("workshop.booked", {})])
    assert participant_status(booked, None) == "workshop_booked"
    assert participant_status(apply(booked, "workshop.cancelled", {}, T0 + timedelta(days=1)), None) == (
        "elearning_complete"
    )
    assert participant_status(booked, "incomplete") == "incomplete"


def test_referral_status_from_its_parents_outcomes():
    assert referral_status(False, [None, "completed"]) == "active"
    assert referral_status(False, ["completed", "completed"]) == "completed"
    assert referral_status(False, ["completed", "incomplete"]) == "incomplete"
    assert referral_status(True, [None, "completed"]) == "withdrawn"


def test_an_event_from_before_a_reorder_belongs_to_the_old_cycle():
    started = T0 + timedelta(days=20)
    assert event_cycle({}, T0, current=2, started_at=started) is None
    assert event_cycle({}, started + timedelta(minutes=1), current=2, started_at=started) == 2
    assert event_cycle({"cycle": 1}, started + timedelta(minutes=1), current=2, started_at=started) == 1
    assert event_cycle({}, T0 - timedelta(days=1), current=1, started_at=T0) == 1


def test_workshop_events_received_out_of_order_are_placed_by_when_they_happened():
    booked = ("workshop.booked", {}, T0)
    missed = ("workshop.missed", {"misses": 1, "rebooking_offered": True}, T0 + timedelta(days=3))
    rebooked = ("workshop.booked", {}, T0 + timedelta(days=4))
    for order in ([booked, missed], [missed, booked]):
        progress = Progress()
        for kind, data, at in order:
            progress = apply(progress, kind, data, at)
        assert participant_status(progress, None) == "workshop_rebooking"
    progress = Progress()
    for kind, data, at in [rebooked, missed, booked]:
        progress = apply(progress, kind, data, at)
    assert participant_status(progress, None) == "workshop_booked"
    # The second miss arriving before the first still ends the cycle.
    second = apply(Progress(), "workshop.missed", {"misses": 2, "rebooking_offered": False}, T0 + timedelta(days=9))
    assert decide(apply(second, *missed[:2], missed[2])) == Outcome("incomplete", "workshop_missed")

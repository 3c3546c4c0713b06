"""What a refused form says: the service's own words for the person (its problem's `detail`), or the
page's own when the service gives none: never "None", never an empty message."""

from console.backend import Answer


def test_the_services_words_are_shown():
    refused = Answer(409, {"type": "https://ptfc.example/problems/concern-closed", "detail": "The session has ended."})
    assert refused.detail("Not raised.") == "The session has ended."


def test_without_words_the_page_says_its_own():
    assert Answer(409, {"type": "x", "title": "Conflict"}).detail("Not raised.") == "Not raised."
    assert Answer(409, {"type": "x", "detail": None}).detail("Not raised.") == "Not raised."
    assert Answer(409, {"type": "x", "detail": ""}).detail("Not raised.") == "Not raised."
    assert Answer(502, "Bad gateway").detail("Not raised.") == "Not raised."

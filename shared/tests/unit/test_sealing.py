"""Links that sign a parent in travel sealed: readable with the key, by nobody else."""

import pytest
from cryptography.fernet import InvalidToken

from ptfc.sealing import seal, unseal

KEY = "a-key-only-learning-and-notifications-hold"
LINK = "https://hub.example/activate?token=abc123"


def test_only_the_key_opens_a_sealed_link():
    sealed = seal(KEY, LINK)
    assert "abc123" not in sealed and "hub.example" not in sealed
    assert unseal(KEY, sealed) == LINK
    with pytest.raises(InvalidToken):
        unseal("another-key-that-a-partner-might-guess", sealed)
    with pytest.raises(InvalidToken):
        unseal(KEY, sealed[:-4] + "AAAA")


def test_after_a_rotation_links_sealed_with_the_old_key_still_open():
    old_link = seal("the-key-before-the-rotation-of-march", LINK)
    assert unseal(KEY, old_link, previous=["the-key-before-the-rotation-of-march"]) == LINK
    with pytest.raises(InvalidToken):
        unseal(KEY, old_link)

"""Our Message-IDs and reply addresses name their ticket; anything forged or altered names nothing."""

from __future__ import annotations

import pytest

from notifications.mail_ids import (
    message_id,
    recipient_id_from_address,
    reply_address,
    subject_tag,
    ticket_id_from_address,
    ticket_id_from_message_id,
    ticket_id_from_subject,
)


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.MAIL_DOMAIN = "help.example.com"
    settings.REPLY_ADDRESS = "support@example.com"


def test_a_message_id_round_trips_and_is_unique():
    first, second = message_id(ticket_id=42), message_id(ticket_id=42)
    assert first != second
    assert first.startswith("<t42.") and first.endswith("@help.example.com>")
    assert ticket_id_from_message_id(first) == 42
    assert ticket_id_from_message_id(first.strip("<>")) == 42  # References lists them without brackets too
    assert ticket_id_from_message_id(f"  {first.upper()} ") == 42  # case-folded by some mail systems


def test_a_changed_ticket_number_or_signature_names_nothing():
    value = message_id(ticket_id=42, nonce="abc")
    assert ticket_id_from_message_id(value.replace("t42.", "t43.")) is None
    signature = value.split(".")[2].split("@")[0]
    forged = value.replace(signature, "a" * len(signature))
    assert ticket_id_from_message_id(forged) is None
    assert ticket_id_from_message_id("<CAF=abc@mail.gmail.com>") is None


def test_a_reply_address_round_trips_and_resists_forgery():
    address = reply_address(ticket_id=7)
    assert address.startswith("support+t7.") and address.endswith("@example.com")
    assert ticket_id_from_address(address) == 7
    assert ticket_id_from_address(address.upper()) == 7
    assert ticket_id_from_address(address.replace("+t7.", "+t8.")) is None
    assert ticket_id_from_address("support@example.com") is None
    assert ticket_id_from_address("support+t7.aaaaaaaaaaaaaaaa@example.com") is None


def test_a_reply_address_naming_its_recipient_round_trips_and_resists_forgery():
    address = reply_address(ticket_id=7, recipient_id=3)
    assert address.startswith("support+t7.u3.")
    assert (ticket_id_from_address(address), recipient_id_from_address(address)) == (7, 3)
    assert ticket_id_from_address(address.replace(".u3.", ".u4.")) is None  # another person's: forged
    assert recipient_id_from_address(reply_address(ticket_id=7)) is None


def test_a_reply_address_is_read_back_when_the_configured_address_has_a_plus_of_its_own(settings):
    settings.REPLY_ADDRESS = "help+desk@example.com"
    address = reply_address(ticket_id=7, recipient_id=3)
    assert address.startswith("help+desk+t7.u3.")
    assert (ticket_id_from_address(address), recipient_id_from_address(address)) == (7, 3)


def test_a_rotated_secret_key_still_verifies_old_mail(settings):
    old = message_id(ticket_id=5)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert ticket_id_from_message_id(old) == 5
    settings.SECRET_KEY_FALLBACKS = []
    assert ticket_id_from_message_id(old) is None


def test_the_subject_tag_is_read_back():
    assert subject_tag(31) == "[#31]"
    assert ticket_id_from_subject("Re: [#31] Printer on fire") == 31
    assert ticket_id_from_subject("Printer #31 on fire") is None

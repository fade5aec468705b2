"""The visible reply, held to other projects' expectations (../shared/email-corpus/reply-bodies/expected.json, the
upstream assertions of crisp-oss/email-reply-parser and zapier/email-reply-parser restated as data).

The few cases we still read differently are listed, and strict: a case that starts passing fails the run until it
is taken off the list, so the list only ever shrinks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from inbound.quotes import visible_reply
from notifications.mail_ids import message_id
from tests.inbound.corpus import corpus_folder
from tests.inbound.messages import mail

CORPUS = (corpus_folder() or Path("/nonexistent")) / "reply-bodies"
KNOWN_MISSES = {
    "crisp/email_9",  # a French webmail header ("Message du : ...") with no separator and fields over four lines
    "crisp/email_24",  # "On ... wrote" without its colon
    "crisp/email_ios_outlook_fr",  # keeps the French "Envoyé à partir de Outlook pour iOS" signature line
    "crisp/email_sent_from",  # keeps "Sent from TypeApp<...>" (the library's signature rules know "Sent from my")
    "zapier/email_1_1",  # keeps a mailing list's footer
    "zapier/email_1_2",  # a bottom-posted answer below the quote is cut with the quote
}


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))


def _cases() -> list[tuple[str, dict]]:
    path = CORPUS / "expected.json"
    if not path.exists():
        return []
    expected = json.loads(path.read_text())
    return [(f"{project}/{name}", spec) for project in ("crisp", "zapier") for name, spec in expected[project].items()]


def _problems(name: str, spec: dict) -> list[str]:
    text = (CORPUS / f"{name}.txt").read_bytes().decode("utf-8")
    started = time.perf_counter()
    reply = _normalise(visible_reply(text))
    elapsed = time.perf_counter() - started
    listed = lambda key: spec[key] if isinstance(spec.get(key), list) else ([spec[key]] if key in spec else [])  # noqa: E731
    problems = []
    if "reply" in spec and reply.strip() != _normalise(spec["reply"]).strip():
        problems.append("reply")
    if "reply_trimmed" in spec and reply.strip() != _normalise(spec["reply_trimmed"]).strip():
        problems.append("reply_trimmed")
    problems += [f"contains {s!r}" for s in listed("reply_contains") if s not in reply]
    problems += [f"excludes {s!r}" for s in listed("reply_excludes") if s in reply]
    if "reply_starts_with" in spec and not reply.strip().startswith(spec["reply_starts_with"]):
        problems.append("starts_with")
    if spec.get("nothing_stripped") and reply.strip() != _normalise(text).strip():
        problems.append("nothing_stripped")
    if "signature_hidden" in spec and spec["signature_hidden"].strip() in reply.split("\n"):
        problems.append("signature shown")
    if "max_seconds" in spec and elapsed > spec["max_seconds"]:
        problems.append("too slow")
    return problems


@pytest.mark.skipif(not (CORPUS / "expected.json").exists(), reason="the shared email corpus is not here")
@pytest.mark.parametrize(
    ("name", "spec"),
    [
        pytest.param(name, spec, id=name, marks=[pytest.mark.xfail(strict=True)] if name in KNOWN_MISSES else [])
        for name, spec in _cases()
    ],
)
def test_the_visible_reply_matches_the_upstream_expectation(name, spec):
    assert _problems(name, spec) == []


def test_text_without_any_quote_is_kept_whole():
    text = "One: here is what I have.\n\n- first point\n- second point\n\nThanks"

    assert visible_reply(text) == text


def test_a_bottom_line_that_merely_mentions_a_time_and_an_address_is_not_a_header():
    text = "Please call me at 10:30, or write to ops@example.org.\n\nThanks"

    assert visible_reply(text) == text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "Here are the details you asked for:\n"
            "Order number: 12345\n"
            "Email: alice@example.com\n"
            "Phone: +1 555 0100\n\n"
            "Thanks,\nAlice",
            "Order number: 12345",
        ),
        (
            "Hi,\n\n"
            "Since 09:30 every scan sent to scans@example.com fails with this error:\n\n"
            "Error 0x80070005: access denied\n\n"
            "Thanks,\nAlice",
            "Error 0x80070005",
        ),
    ],
)
def test_a_reply_with_its_own_labelled_lines_keeps_its_text(ingest, ticket, alice, text, kept):
    stored = ingest(
        mail(sender=alice.email, subject="Re: Invoice", body=text, in_reply_to=message_id(ticket_id=ticket.pk))
    )

    assert kept in stored.comment.body
    assert kept in visible_reply(text)

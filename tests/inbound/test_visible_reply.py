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
from tickets.models import BODY_MAX_CHARS

CORPUS = (corpus_folder() or Path("/nonexistent")) / "reply-bodies"
KNOWN_MISSES: set[str] = set()


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


HEADER = "On Tue, 1 Mar 2011 at 18:02, Ann Example <ann@example.com> wrote:"
FOOTER = (
    "_______________________________________________\n"
    "riak-users mailing list\n"
    "riak-users@lists.basho.com\n"
    "http://lists.basho.com/mailman/listinfo/riak-users_lists.basho.com"
)


def test_an_answer_below_the_quote_is_shown():
    text = f"Hi,\n{HEADER}\n> How do I clear a bucket?\n> Thanks\n\nList the keys and delete each one.\n\n{FOOTER}\n"

    visible = visible_reply(text)

    assert visible.startswith("Hi,")
    assert visible.endswith("List the keys and delete each one.")
    assert "mailing list" not in visible


def test_answers_between_quoted_questions_are_shown_with_their_questions():
    text = (
        f"Hi Ann,\n\n{HEADER}\n> Is option A fine?\n\nYes, option A is great.\n\n"
        "> And option B?\n\nIt has a few drawbacks.\n"
    )

    visible = visible_reply(text)

    assert "Yes, option A is great." in visible
    assert "> And option B?" in visible
    assert visible.endswith("It has a few drawbacks.")


@pytest.mark.parametrize(
    "below",
    [
        "-- \nAlice Example\nAcme Corp",  # a signature after its delimiter
        "Alice Example\nHead of Support",  # a name and a title
        FOOTER,  # a mailing list's footer
        "This e-mail is confidential and intended solely for the addressee.",  # a disclaimer
    ],
)
def test_a_top_posted_reply_is_cut_at_the_quote_whatever_follows_the_quoted_lines(below):
    text = f"Yes, Tuesday works for us.\n\n{HEADER}\n> Can we meet next week?\n\n{below}\n"

    assert visible_reply(text) == "Yes, Tuesday works for us."


def test_a_quoted_line_wrapped_by_the_sender_client_is_not_an_answer():
    text = (
        f"Yes, Tuesday works for us.\n\n{HEADER}\n> Can we meet next week, say on Tuesday or\nWednesday afternoon?\n>\n"
    )

    assert visible_reply(text) == "Yes, Tuesday works for us."


@pytest.mark.parametrize(
    "quote",
    [
        "> Can we meet next week, say on Tuesday or\nWednesday afternoon?",  # the quoted line stops mid-sentence
        "> Can we meet next week? I am free on Tuesday.\nor on Wednesday afternoon, if that suits you better.",
        "> > Can we meet next week, say on Tuesday or\nWednesday afternoon?",  # deeper in the quote
    ],
)
def test_a_quoted_line_wrapped_without_its_mark_is_not_an_answer(quote):
    text = f"Yes, Tuesday works for us.\n\n{HEADER}\n{quote}\n"

    assert visible_reply(text) == "Yes, Tuesday works for us."


def test_answers_right_under_their_quoted_questions_are_shown():
    text = (
        "Hi,\n\nOn Mon, 3 Feb 2025 at 10:00, Sam <sam@example.com> wrote:\n"
        "> Is option A fine?\nYes, go ahead with A.\n> And the date?\nFriday works."
    )

    assert visible_reply(text) == text


def test_an_answer_right_under_an_empty_quoted_line_is_shown():
    text = f"Hi Ann,\n\n{HEADER}\n> Is option A fine?\n>\nYes, go ahead with A.\n> Thanks"

    assert visible_reply(text) == f"Hi Ann,\n\n{HEADER}\n> Is option A fine?\n>\nYes, go ahead with A."


@pytest.mark.parametrize(
    "below",
    [
        "Alice Example",  # a name
        "Alice Example\nHead of Support",  # a name and a title
        "Sent from my iPhone",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "This e-mail is confidential and intended solely for the addressee.",  # a disclaimer
    ],
)
def test_a_top_posted_reply_is_cut_at_the_quote_whatever_follows_right_under_the_quoted_lines(below):
    text = f"Yes, Tuesday works for us.\n\n{HEADER}\n> Can we meet next week?\n{below}\n"

    assert visible_reply(text) == "Yes, Tuesday works for us."


def test_an_answer_below_a_quote_deeper_in_the_history_is_not_the_newest_reply():
    text = (
        "Fixed now.\n\n"
        "From: Bob <bob@example.com>\nSent: Monday, 2 March 2020 10:00\nTo: Alice <alice@example.com>\n"
        "Subject: Re: Printer\n\n"
        f"{HEADER}\n> The printer is broken.\n\nWe will look at it today.\n"
    )

    assert visible_reply(text) == "Fixed now."


def test_an_answer_around_a_quoted_line_of_its_own_ends_at_the_next_quote_header():
    reply = "Please run:\n\n> npm install\n\nand tell me what it prints."
    text = (
        f"{reply}\n\nFrom: Bob <bob@example.com>\nSent: Monday, 2 March 2020 10:00\nTo: Alice <alice@example.com>\n"
        "Subject: Re: Build\n\nThe build fails.\n"
    )

    assert visible_reply(text) == reply


def test_an_inline_answer_ends_at_the_signature_delimiter():
    text = f"Hi Ann,\n\n{HEADER}\n> Is option A fine?\n\nYes, it is great.\n\n> Thanks\n-- \nBob Example.\nAcme Corp."

    assert visible_reply(text) == f"Hi Ann,\n\n{HEADER}\n> Is option A fine?\n\nYes, it is great."


MAILMAN_3_FOOTER = (
    "_______________________________________________\n"
    "Support mailing list -- support@lists.example.org\n"
    "To unsubscribe send an email to support-leave@lists.example.org\n"
    "https://lists.example.org/mailman3/lists/support.lists.example.org/"
)


@pytest.mark.parametrize("footer", [FOOTER, MAILMAN_3_FOOTER], ids=["mailman 2", "mailman 3"])
def test_a_mailing_list_footer_is_removed(footer):
    text = f"Hi folks\n\nHow do I clear a bucket?\n\n-Ann\n\n\n{footer}\n"

    assert visible_reply(text) == "Hi folks\n\nHow do I clear a bucket?\n\n-Ann"


def test_a_sentence_naming_a_mailing_list_is_kept():
    text = "Please ask on the users mailing list\nusers@example.org\nhttps://example.org/lists/users"

    assert visible_reply(text) == text


@pytest.mark.parametrize(
    "sent_from",
    [
        "Sent from TypeApp<http://www.typeapp.com/r?b=2621>",
        "Envoyé à partir de Outlook pour iOS<https://aka.ms/o0ukef>",
        "Sent from my iPhone",
        "Sent from my Galaxy",
        "Sent from Outlook for iOS",
        "Sent from Mail for Windows",
        "Sent from Yahoo Mail on Android",
        "Sent from Samsung Mobile",
        "Sent with Proton Mail secure email.",
        "Envoyé de mon iPhone",
        "Gesendet von meinem iPad",
        "Enviado desde mi iPhone",
        "Enviado do meu iPhone",
        "Inviato da iPhone",
        "Verzonden vanaf mijn iPhone",
    ],
)
def test_a_sent_from_app_line_ending_the_reply_is_a_signature(sent_from):
    text = f"Thanks for the fix, it works.\n\n{sent_from}\n{HEADER}\n> Please try again."

    assert visible_reply(text) == "Thanks for the fix, it works."


@pytest.mark.parametrize(
    "last_line",
    [
        "Sent from our warehouse on Monday, it should arrive on Friday.",
        "Sent from home",
        "Sent from the office",
        "Sent from the office.",
        "Envoyé de chez moi",
        "Enviado desde casa",
        "Envoyé depuis Lyon",
        "Gesendet von Hamburg aus",
        "Inviato da Roma",
    ],
)
def test_a_last_line_starting_like_a_sent_from_line_but_naming_no_app_is_kept(last_line):
    text = f"The parcel is on its way.\n\n{last_line}"

    assert visible_reply(text) == text


def test_a_quote_header_without_its_colon_starts_the_quote():
    header = "On Wed, 14 Nov 2018 08:14:43 -0200 John Doe <john@doe.com> wrote"
    text = f"Tuesday suits me.\n\n{header}\n\nWhen are you available?"

    assert visible_reply(text) == "Tuesday suits me."


def test_a_sentence_ending_in_wrote_is_kept():
    text = "On Monday at 10:30 I forwarded what ops@example.org wrote\n\nDid it arrive?"

    assert visible_reply(text) == text


def test_a_separator_line_over_a_quote_header_goes_with_the_quote():
    text = (
        "See you then.\n\n====\n\n"
        'Message du : 12/12/2016 13:20\nDe : "Questions" <questions@company.com>\nA : ann@example.fr\n'
        "Copie à : \nSujet : Rendez-vous\n\nQuand êtes-vous disponible ?"
    )

    assert visible_reply(text) == "See you then."


def test_a_separator_line_within_the_reply_is_kept():
    text = "Results\n=======\n\nAll tests pass since 10:30."

    assert visible_reply(text) == text


def test_long_runs_of_white_space_are_read_as_one_space_or_one_blank_line():
    """Layout, never words; the reply rules' time grows with the square of such a run (inbound.quotes._SPACE_RUN)."""
    text = "Total:" + " " * 5000 + "12 tickets\n" + "\u2003\n\x0c\n" * 2000 + "Thanks"

    assert visible_reply(text) == "Total: 12 tickets\n\nThanks"


def test_a_text_longer_than_the_body_limit_is_read_only_a_little_past_the_limit():
    """What lies past the limit is cut when the reply is stored (inbound.services.tickets._within_body_limit), with
    a note saying so: reading it would only cost time. The reply read stays longer than the limit, so the note is
    still added."""
    text = "".join(f"Line {number} of the log.\n" for number in range(20_000))  # some 450,000 characters

    reply = visible_reply(text)

    assert BODY_MAX_CHARS < len(reply) < 2 * BODY_MAX_CHARS
    assert text.startswith(reply)


def test_a_single_line_longer_than_the_body_limit_gives_a_reply_longer_than_the_limit():
    text = "Lorem ipsum dolor sit amet. " * 10_000

    reply = visible_reply(text)

    assert BODY_MAX_CHARS < len(reply) < 2 * BODY_MAX_CHARS
    assert text.startswith(reply)


LONG = "we went through every open ticket on the call, one by one, and agreed on who takes which, " * 5


@pytest.mark.parametrize(
    "long_line",
    [
        f"Notes: {LONG}",
        f"- {LONG}",  # a list item, never a signature
        f"-- {LONG}",
        f"{LONG}\u2019 and so on",
        f"On Mon, 3 Feb 2025 at 10:00, Sam <sam@example.com> wrote:n {LONG}" * 20,  # header-like text, many times
    ],
)
def test_long_lines_keep_their_text_and_a_quote_header_below_them_still_starts_the_quote(long_line):
    text = f"Hi,\n\n{long_line}\n\nThanks\n\n{HEADER}\n> Old question?"

    assert visible_reply(text) == f"Hi,\n\n{long_line.strip()}\n\nThanks"


def test_a_long_paragraph_starting_with_on_and_ending_in_wrote_is_no_quote_header():
    """A quote header is a line of a few hundred characters at most (inbound.quotes._LIBRARY_LINE_MAX)."""
    text = f"Thanks for the update.\n\nOn Monday {LONG}and this is what Sam wrote:\n\nThe backup failed twice."

    assert visible_reply(text) == text


@pytest.mark.parametrize(
    ("line", "is_separator"),
    [
        ("-----", True),
        ("---- Oprindelig besked ----", True),
        ("-- Re-sent --", True),
        ("_" * 32, True),
        ("-" * 1000 + "x", False),
        ("--a" + "-" * 1000 + "x", False),
    ],
)
def test_a_separator_line_followed_by_a_from_field_starts_the_quote(line, is_separator):
    text = f"See you then.\n{line}\nFrom: Ann <ann@example.com>\n\nWhen are you available?"

    assert visible_reply(text) == ("See you then." if is_separator else text)

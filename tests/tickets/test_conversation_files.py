"""Each file is listed with the message it came with, and an internal note's files only where the note is shown."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.selectors import conversation_of
from tickets.services import comment_create, ticket_create


def upload(name: str) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, b"content", content_type="text/plain")]


def articles(body: str) -> list[str]:
    return re.findall(r"<article class=\"comment.*?</article>", body, re.S)


def test_files_are_listed_under_their_own_message(alice, bob, category, client_for):
    ticket = ticket_create(
        requester=alice, subject="Printer", description="It jams.", category=category, files=upload("opening.txt")
    )
    comment_create(ticket=ticket, author=bob, body="Send a photo", files=upload("reply.txt"))
    comment_create(ticket=ticket, author=bob, body="Vendor case 42", internal=True, files=upload("note.txt"))
    comment_create(ticket=ticket, author=alice, body="Here", files=upload("photo.txt"))

    staff = articles(client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode())
    requester = articles(client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode())

    assert [re.findall(r">([a-z]+\.txt)</a>", article) for article in staff] == [
        ["opening.txt"],
        ["reply.txt"],
        ["note.txt"],
        ["photo.txt"],
    ]
    assert [re.findall(r">([a-z]+\.txt)</a>", article) for article in requester] == [
        ["opening.txt"],
        ["reply.txt"],
        ["photo.txt"],
    ]


def test_a_requester_never_gets_an_internal_notes_files(alice, bob, ticket, django_assert_num_queries):
    comment_create(ticket=ticket, author=bob, body="Vendor case 42", internal=True, files=upload("note.txt"))
    comment_create(ticket=ticket, author=bob, body="On it", files=upload("reply.txt"))

    with django_assert_num_queries(2):  # the comments with their authors; every file shown
        conversation = conversation_of(alice, ticket)

    assert [[file.filename for file in comment.files] for comment in conversation.comments] == [["reply.txt"]]
    assert conversation.opening_files == []

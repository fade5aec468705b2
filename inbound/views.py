"""Staff pages of the inbound app: a stored mail in full (and as it arrived, to download), and the accept/reject
buttons for held mail."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from helpdesk.decorators import staff_required
from helpdesk.errors import DomainError
from inbound import services
from inbound.models import InboundMessage
from inbound.parsing import parse_headers
from inbound.selectors import messages_for_mail_page
from inbound.services.reading import shown_headers, unread_because
from tickets.downloads import served_as_a_file


@require_http_methods(["GET"])
@login_required
@staff_required
def inbound_message_original(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole mail as the worker read it: headers, full text, its HTML sanitised with no image loaded, its parts.
    The mail itself is never read here: a hostile one takes seconds to read, which the worker spends under its time
    limits. Of a mail not read yet, the headers at its start are shown."""
    message = get_object_or_404(messages_for_mail_page(), pk=pk)
    reading = getattr(message, "reading", None)
    if reading is not None:
        headers = [tuple(header) for header in reading.headers]
    else:
        headers = shown_headers(parse_headers(bytes(message.raw_head)))
    context = {
        "message": message,
        "reading": reading,
        "headers": headers,
        "unread_because": unread_because(message) if reading is None else "",
    }
    return render(request, "inbound/original.html", context)


@require_http_methods(["GET"])
@login_required
@staff_required
def inbound_message_download(request: HttpRequest, pk: int) -> FileResponse:
    """The mail exactly as it arrived, as an .eml file: what a ticket lists as not attached is in it."""
    message = get_object_or_404(InboundMessage.objects.only("pk", "raw"), pk=pk)
    mail = io.BytesIO(bytes(message.raw))
    response = FileResponse(mail, as_attachment=True, filename=f"mail-{message.pk}.eml", content_type="message/rfc822")
    return served_as_a_file(response)


@require_http_methods(["POST"])
@login_required
@staff_required
def inbound_message_read(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Have the worker read a mail it kept no reading of (stored before readings were kept, or failed)."""
    message = get_object_or_404(InboundMessage.objects.defer("raw"), pk=pk)
    try:
        services.inbound_read_request(message=message, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The worker is reading the mail: reload this page in a moment.")
    return redirect("inbound_message_original", pk=pk)


@require_http_methods(["POST"])
@login_required
@staff_required
def held_mail_accept(request: HttpRequest, ticket_pk: int, pk: int) -> HttpResponseRedirect:
    return _decide(request, ticket_pk, pk, services.held_mail_accept, "Accepted: the mail is now a reply.")


@require_http_methods(["POST"])
@login_required
@staff_required
def held_mail_reject(request: HttpRequest, ticket_pk: int, pk: int) -> HttpResponseRedirect:
    return _decide(request, ticket_pk, pk, services.held_mail_reject, "Rejected: the mail stays out of the ticket.")


def _decide(request: HttpRequest, ticket_pk: int, pk: int, decide: object, done: str) -> HttpResponseRedirect:
    message = get_object_or_404(InboundMessage.objects.defer("raw"), pk=pk, ticket_id=ticket_pk)
    try:
        decide(message=message, actor=request.user)  # type: ignore[operator]
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("staff_ticket_detail", pk=ticket_pk)

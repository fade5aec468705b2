"""Staff pages of the inbound app: a stored mail in full, and the accept/reject buttons for held mail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from helpdesk.decorators import staff_required
from helpdesk.errors import DomainError
from inbound import services
from inbound.models import InboundMessage
from inbound.parsing import header_text, read_mail

SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-ID", "In-Reply-To", "References")


@require_http_methods(["GET"])
@login_required
@staff_required
def inbound_message_original(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole mail as it arrived: headers, full text, and its HTML sanitised, with no image loaded."""
    message = get_object_or_404(InboundMessage, pk=pk)
    mail = read_mail(bytes(message.raw))
    headers = [(name, value) for name in SHOWN_HEADERS if (value := header_text(mail.message, name))]
    context = {"message": message, "mail": mail, "headers": headers}
    return render(request, "inbound/original.html", context)


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

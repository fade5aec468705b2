"""Pages for the people who ask for help: their tickets, a new ticket, one ticket's public conversation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from forms_builder.selectors import form_slug_for_category, forms_usable_by
from helpdesk.errors import DomainError
from helpdesk.forms import form_add_domain_error
from helpdesk.idempotency import page_post_once
from tickets import permissions
from tickets.forms import ReplyForm, TicketNewForm
from tickets.models import Status, Ticket
from tickets.selectors import (
    categories_visible_to,
    conversation_of,
    events_visible_to,
    ticket_page_for,
    tickets_requested_by,
)
from tickets.services import comment_create, ticket_create

TICKET_LIST_PAGE_SIZE = 25


@require_http_methods(["GET"])
@login_required
def home(request: HttpRequest) -> HttpResponse:
    if permissions.is_staff_member(request.user):
        return redirect("staff_queue")
    return redirect("ticket_list")


@require_http_methods(["GET"])
@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    # "My tickets" are the ones I asked for, also for an agent who opened one for themselves.
    tickets = tickets_requested_by(request.user)
    page = Paginator(tickets, TICKET_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tickets/list.html", {"page": page})


@require_http_methods(["GET", "POST"])
@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """Intake forms replace this page once one is published; the plain form stays for a fresh install without any.
    The form's one-time token makes the same form sent twice (a double click) open one ticket."""
    if forms_usable_by(request.user).exists():
        return _redirect_to_forms(request)
    categories = categories_visible_to(request.user).active()
    form = TicketNewForm(request.POST or None, request.FILES or None, categories=categories)
    if request.method == "POST" and form.is_valid():
        opened = page_post_once(
            request,
            token=form.cleaned_data["submit_token"],
            post=lambda: _open_ticket(request, form),
            sent_already="This ticket was already opened; it was not opened again.",
        )
        if opened is not None:
            return opened
    if form.errors:
        messages.error(request, "The ticket was not created. Please correct the errors below.")
    return render(request, "tickets/new.html", {"form": form})


def _open_ticket(request: HttpRequest, form: TicketNewForm) -> HttpResponse | None:
    """Open the ticket and go to it; None when a service refused it, with the reason on the form."""
    try:
        ticket = ticket_create(
            requester=request.user,
            subject=form.cleaned_data["subject"],
            description=form.cleaned_data["description"],
            category=form.cleaned_data["category"],
            files=form.cleaned_data["attachments"],
        )
    except DomainError as error:
        form_add_domain_error(form, error)
        return None
    messages.success(request, f"Ticket #{ticket.pk} was created. We will get back to you soon.")
    return redirect("ticket_detail", pk=ticket.pk)


@require_http_methods(["GET"])
@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if permissions.is_staff_member(request.user):
        return redirect("staff_ticket_detail", pk=pk)
    return render_ticket_page(request, _visible_ticket(request, pk))


@require_http_methods(["POST"])
@login_required
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """The requester's reply. Its one-time token makes the same reply sent twice (a double click) post once."""
    ticket = _visible_ticket(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        sent = page_post_once(
            request,
            token=form.cleaned_data["submit_token"],
            post=lambda: _send_reply(request, ticket, form),
            sent_already="Your reply was already sent; it was not sent again.",
        )
        if sent is not None:
            return sent
    else:
        messages.error(request, "Your reply was not sent. Please correct the errors below.")
    return render_ticket_page(request, ticket, reply_form=form)


def _send_reply(request: HttpRequest, ticket: Ticket, form: ReplyForm) -> HttpResponse | None:
    """Post the reply and go back to the ticket; None when a service refused it, with the reason on the form."""
    try:
        comment_create(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            files=form.cleaned_data["attachments"],
        )
    except DomainError as error:
        form_add_domain_error(form, error)
        messages.error(request, error.message)
        return None
    messages.success(request, "Your reply was sent.")
    return redirect("ticket_detail", pk=ticket.pk)


def _redirect_to_forms(request: HttpRequest) -> HttpResponse:
    """`?category=<slug>` goes straight to that category's form when it has exactly one, else to the list."""
    category_slug = request.GET.get("category", "")
    form_slug = form_slug_for_category(request.user, category_slug) if category_slug else None
    if form_slug is not None:
        return redirect("form_fill", slug=form_slug)
    return redirect("form_list")


def _visible_ticket(request: HttpRequest, pk: int) -> Ticket:
    # Someone else's ticket is a 404, never a 403: whether it exists is not theirs to learn.
    return get_object_or_404(ticket_page_for(request.user), pk=pk)


def render_ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    rating_form: Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """The requester's ticket page. A form sent back with errors (the reply, or the rating: csat.views) is shown
    as it was posted, so what the requester typed is still there."""
    conversation = conversation_of(request.user, ticket)
    is_closed = ticket.status == Status.CLOSED
    context = {
        "ticket": ticket,
        "opening_attachments": conversation.opening_files,
        "comments": conversation.comments,
        "events": events_visible_to(request.user, ticket),
        "reply_form": reply_form if reply_form is not None else ReplyForm(),
        "rating_form": rating_form,
        "is_closed": is_closed,
        "unsent_reply": _unsent_reply(reply_form) if is_closed else "",
    }
    return render(request, "tickets/detail.html", context, status=status)


def _unsent_reply(reply_form: ReplyForm | None) -> str:
    """What the requester wrote in a reply refused because the ticket was closed meanwhile (by staff, or a merge):
    a closed ticket's page has no reply box, so it is shown to copy into a new ticket rather than lost."""
    if reply_form is None or not reply_form.is_bound:
        return ""
    return reply_form.data.get("body", "").strip()

"""Intake form pages: the forms a visitor may use, filling one in, and the private link of a public form's ticket.

Nothing here validates answers: `services.submission_create` runs them through the engine, and the page shows its
messages next to the inputs they are about.
"""

from __future__ import annotations

from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from forms_builder.forms import ANSWERS_PREFIX, AnswersForm, RequesterEmailForm, SubmitOnceForm
from forms_builder.models import Form, Submission
from forms_builder.selectors import form_latest_version, forms_usable_by
from forms_builder.services import (
    private_link_reissue,
    public_requester_for,
    submission_create,
    submission_for_token,
)
from helpdesk.decorators import staff_required
from helpdesk.errors import DomainError
from helpdesk.idempotency import page_post_once
from helpdesk.time_zones import in_zone_of
from tickets import permissions
from tickets.selectors import conversation_of

NOT_SENT = "Your request was not sent. Please correct the errors below."
SENT_ALREADY = "Your request was already sent; it was not sent again."
TOO_MANY_SUBMISSIONS = "Too many requests from your network. Please wait a minute and try again."


@require_http_methods(["GET"])
def form_list(request: HttpRequest) -> HttpResponse:
    forms = sorted(forms_usable_by(request.user), key=lambda form: (form.category.name, form.category_id))
    groups = [(category, list(items)) for category, items in groupby(forms, key=lambda form: form.category)]
    return render(request, "forms_builder/list.html", {"groups": groups})


def _anonymous_writes_rate(group: str, request: HttpRequest) -> str | None:
    # Signed-in visitors are accountable and limited elsewhere; a visitor without an account is counted by address.
    return None if request.user.is_authenticated else settings.RATE_LIMIT_WRITES


@require_http_methods(["GET", "POST"])
@ratelimit(group="forms:submit", key="ip", rate=_anonymous_writes_rate, method="POST", block=False)
def form_fill(request: HttpRequest, slug: str) -> HttpResponse:
    is_post = request.method == "POST"
    form = Form.objects.active().filter(slug=slug).first()
    if form is not None and not form.is_public and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    # Inactive categories and unpublished forms are as absent as unknown slugs.
    usable = form is not None and forms_usable_by(request.user).filter(pk=form.pk).exists()
    version = form_latest_version(form=form) if usable else None
    if version is None:
        if is_post:
            return _not_accepting(request)
        raise Http404("No such form.")
    answers_form = AnswersForm(
        request.POST if is_post else None, request.FILES if is_post else None, definition=version.definition
    )
    email_form = None if request.user.is_authenticated else RequesterEmailForm(request.POST if is_post else None)
    once = SubmitOnceForm(request.POST if is_post else None)

    def page(message: str = "", *, status: int = 200) -> HttpResponse:
        return _render_fill_page(request, form, answers_form, email_form, once, message, status=status)

    def post() -> HttpResponse | None:
        try:
            submission, token = _submit(request, form, answers_form, email_form)
        except DomainError:
            return None  # the reasons are next to the inputs
        return _after_submission(request, submission, token)

    if not is_post:
        return page()
    if getattr(request, "limited", False):
        return page(TOO_MANY_SUBMISSIONS, status=429)
    if email_form is not None and not email_form.is_valid():
        answers_form.add_engine_errors()
        return page(NOT_SENT)
    # A signed-in visitor's Send clicked twice opens one ticket. A guest is answered with a page, not a redirect that
    # page_post_once could send them to again: guests are held back by the rate limit instead.
    token = once.cleaned_data["submit_token"] if once.is_valid() else ""
    return page_post_once(request, token=token, post=post, sent_already=SENT_ALREADY) or page(NOT_SENT)


@transaction.atomic
def _submit(
    request: HttpRequest, form: Form, answers_form: AnswersForm, email_form: RequesterEmailForm | None
) -> tuple[Submission, str | None]:
    """Open the ticket, or put each refusal's messages next to the input it is about and raise it on.

    One transaction: answers that fail the engine leave no passwordless account behind. A refused address is told
    apart from the answers by where it is refused, not by its key: an admin may name a question "email"."""
    if email_form is None:
        requester = request.user
    else:
        try:
            requester = public_requester_for(email=email_form.cleaned_data["email"])
        except DomainError as error:
            email_form.add_error("email", error.details.get("email") or error.message)
            answers_form.add_engine_errors()
            raise
    try:
        return submission_create(
            form=form,
            answers=answers_form.raw_answers(),
            files=answers_form.raw_files(),
            requester=requester,
            actor=requester,
            sender_verified=request.user.is_authenticated,
        )
    except DomainError as error:
        answers_form.add_domain_error(error)
        raise


def _not_accepting(request: HttpRequest) -> HttpResponse:
    """A post to a form that takes none (an admin closed it while it was being filled in): nothing is sent, and what
    was typed is shown back to copy. Still the 404 an unknown slug gets, and no question of the form is shown."""
    prefix = f"{ANSWERS_PREFIX}-"
    typed = [
        value.strip()
        for name, values in request.POST.lists()
        if name.startswith(prefix)
        for value in values
        if value.strip()
    ]
    return render(request, "forms_builder/not_accepting.html", {"typed": typed}, status=404)


def _after_submission(request: HttpRequest, submission: Submission, token: str | None) -> HttpResponse:
    ticket = submission.ticket
    if request.user.is_authenticated:
        messages.success(request, f"Ticket #{ticket.pk} was created. We will get back to you soon.")
        if permissions.is_staff_member(request.user):
            return redirect("staff_ticket_detail", pk=ticket.pk)
        return redirect("ticket_detail", pk=ticket.pk)
    # Rendered, not redirected to: the token would otherwise sit in a redirect's Location, in history and in logs.
    private_url = request.build_absolute_uri(reverse("form_private_ticket", args=[token])) if token else ""
    response = render(request, "forms_builder/submitted.html", {"ticket": ticket, "private_url": private_url})
    response["Cache-Control"] = "no-store"
    return response


def _render_fill_page(
    request: HttpRequest,
    form: Form,
    answers_form: AnswersForm,
    email_form: RequesterEmailForm | None,
    once: SubmitOnceForm,
    message: str = "",
    *,
    status: int = 200,
) -> HttpResponse:
    context = {
        "intake_form": form,
        "answers_form": answers_form,
        "email_form": email_form,
        "once": once,
        "message": message,
    }
    return render(request, "forms_builder/fill.html", context, status=status)


@require_http_methods(["GET"])
@never_cache
def form_private_ticket(request: HttpRequest, token: str) -> HttpResponse:
    """One ticket, read-only, for whoever holds its private link: the public conversation, never internal notes."""
    submission = submission_for_token(token=token)
    if submission is None:
        raise Http404("No such ticket.")
    ticket = submission.ticket
    # The link's holder sees what a requester sees, never more: not even when the address on the ticket is staff's.
    conversation = conversation_of(AnonymousUser(), ticket)
    context = {
        "ticket": ticket,
        "comments": conversation.comments,
        "opening_attachments": conversation.opening_files,
    }
    if request.user.is_authenticated or not submission.link_mailed:
        # A signed-in visitor's pages are in their own zone (accounts.middleware.UserTimeZoneMiddleware); the link
        # shown after filing the form may be held by whoever typed the address, who is not to learn its account's.
        return render(request, "forms_builder/private_ticket.html", context)
    with in_zone_of(ticket.requester):  # the link was mailed to them: times as in the mail
        return render(request, "forms_builder/private_ticket.html", context)


@require_http_methods(["POST"])
@login_required
@staff_required
def staff_private_link_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff revoke a ticket's private link; a new one is mailed to the address on the ticket."""
    submission = get_object_or_404(Submission.objects.select_related("ticket__requester"), ticket_id=pk)
    try:
        private_link_reissue(submission=submission, actor=request.user)
    except DomainError as error:
        messages.error(request, f"The private link was not changed. {error.message}")
    else:
        messages.success(
            request, f"The private link was revoked. A new one is on its way to {submission.ticket.requester.email}."
        )
    return redirect("staff_ticket_detail", pk=pk)

"""Pages for agents and admins: the queue, and one ticket with its internal notes, triage form and timeline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.models import User
from helpdesk.decorators import staff_required
from helpdesk.errors import DomainError, NothingChanged, PreconditionFailed
from helpdesk.forms import form_add_domain_error
from helpdesk.idempotency import page_post_once
from inbound.selectors import ticket_page_mail
from macros.models import Macro
from macros.selectors import macros_for_ticket_page, macros_visible_to
from macros.services import macro_apply, macro_describe_actions, macro_render, rows_a_macro_names
from queues.views import queue
from tickets.forms import (
    AssignMeForm,
    ReplyMode,
    StaffReplyForm,
    StaffTicketNewForm,
    TicketLinkForm,
    TicketMergeForm,
    TicketPropertiesForm,
)
from tickets.models import Comment, Status, Ticket
from tickets.presence import POLL_SECONDS, presence_touch
from tickets.selectors import (
    categories_visible_to,
    comments_visible_to,
    ticket_page_for,
)
from tickets.services import (
    TicketChanges,
    comment_create,
    ticket_link,
    ticket_merge,
    ticket_take,
    ticket_unlink,
    ticket_update,
)
from tickets.services.comments import comment_refuse_if_merged
from tickets.services.common import lock_ticket_keeping
from tickets.services.links import links_touching
from tickets.services.on_behalf import requester_find_or_create, ticket_open_on_behalf
from tickets.staff_page import (
    conversation_for,
    conversation_html,
    linked_tickets,
    requester_others,
    requester_tickets_html,
    staff_page_ticket,
    timeline_html,
)

# The queue, its views, bulk actions and export live in the queues app.
staff_queue = queue


@require_http_methods(["GET"])
@login_required
@staff_required
def staff_ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_staff_ticket_page(request, staff_page_ticket(request.user, pk))


@require_http_methods(["POST"])
@login_required
@staff_required
def staff_ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _staff_ticket(request, pk)
    form = StaffReplyForm(request.POST, request.FILES)
    if form.is_valid():
        posted = _post_reply(request, ticket, form)
        if posted is not None:
            return posted
    else:
        messages.error(request, "Nothing was sent. Please correct the errors below.")
    return _render_staff_ticket_page(request, ticket, reply_form=form)


@transaction.atomic
def _post_reply(request: HttpRequest, ticket: Ticket, form: StaffReplyForm) -> HttpResponse | None:
    """Send the reply or note (with the macro chosen), hold it if a message arrived meanwhile, or skip it if this very
    form was sent already; None when it was refused, with the reason on the form. Under the ticket's row lock, so the
    same form posted twice at once (a double click) is looked at one post after the other. A ticket merged since the
    page was loaded refuses it before anything is held, naming the ticket to send it on (the page links there).
    What the reply and the macro write rows naming (the agent, the macro's agent, team and tags) is kept before the
    lock, with what the ticket names (tickets.services.common.lock_ticket_keeping): kept under it,
    a row a deletion held while it waited for the ticket was a deadlock."""
    macro = _chosen_macro(request, form.cleaned_data["macro"])
    locked = _ticket_locked_for_reply(ticket, actor=request.user, macro=macro)
    if _sent_already(request, ticket, form.cleaned_data, text=_text_to_send(request, ticket, form, macro)):
        messages.info(request, "This message was already sent; it was not sent again.")
        return redirect("staff_ticket_detail", pk=ticket.pk)
    try:
        comment_refuse_if_merged(locked)
    except DomainError as error:
        return _not_sent(request, form, error)
    if macro is None and form.cleaned_data["macro"] is not None:
        return _macro_gone(request, ticket, form)
    arrived = _arrived_since(request, ticket, form.cleaned_data["seen_comment"])
    if arrived:
        return _hold_reply(request, ticket, form, arrived)
    internal = form.cleaned_data["mode"] == ReplyMode.NOTE
    then_status = form.cleaned_data["then_status"] or None
    try:
        if macro is not None:
            comment = macro_apply(
                macro=macro,
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"] or None,  # an empty box sends the macro's own text
                internal=internal,
                status=then_status,
                files=form.cleaned_data["attachments"],
            )
        else:
            comment = comment_create(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                internal=internal,
                files=form.cleaned_data["attachments"],
                status=then_status,
            )
    except NothingChanged as nothing:  # news, not a refusal: the form had nothing to keep (no text, no files)
        messages.info(request, nothing.message)
        return redirect("staff_ticket_detail", pk=ticket.pk)
    except DomainError as error:
        return _not_sent(request, form, error)
    sent = [_sent_text(comment)] if comment is not None else []
    if then_status:
        sent.append(f"Status set to {Status(then_status).label.lower()}.")
    if macro is not None:
        sent.append(f"Macro “{macro.name}” applied.")
    messages.success(request, " ".join(sent))
    return redirect("staff_ticket_detail", pk=ticket.pk)


def _ticket_locked_for_reply(ticket: Ticket, *, actor: User, macro: Macro | None) -> Ticket:
    also = {(User, actor.pk)} if macro is None else rows_a_macro_names(macro=macro, actor=actor)
    return lock_ticket_keeping(ticket.pk, also=also)


def _not_sent(request: HttpRequest, form: StaffReplyForm, error: DomainError) -> None:
    """The reply was refused: the reason on the form and the page, the agent's text kept in the form."""
    form_add_domain_error(form, error)
    messages.error(request, f"Nothing was sent. {error.message}")


@require_http_methods(["POST"])
@login_required
@staff_required
def staff_ticket_update(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _staff_ticket(request, pk)
    form = TicketPropertiesForm(request.POST, ticket=ticket, categories=categories_visible_to(request.user))
    if form.is_valid():
        changes = form.changes()
        if changes == TicketChanges():
            messages.info(request, "Nothing to save: the ticket already looks like that.")
            return redirect("staff_ticket_detail", pk=ticket.pk)
        try:
            ticket_update(
                ticket=ticket, actor=request.user, changes=changes, expected_etags=[form.cleaned_data["version"]]
            )
        except PreconditionFailed:
            messages.error(
                request,
                "Someone changed this ticket while you were editing it, so nothing was saved. "
                "The form now shows the current values: make your change again.",
            )
            return redirect("staff_ticket_detail", pk=ticket.pk)
        except DomainError as error:
            form_add_domain_error(form, error)
            messages.error(request, f"The ticket was not updated. {error.message}")
        else:
            messages.success(request, "Ticket updated.")
            return redirect("staff_ticket_detail", pk=ticket.pk)
    else:
        messages.error(request, "The ticket was not updated. Please correct the errors below.")
    return _render_staff_ticket_page(request, ticket, properties_form=form)


@require_http_methods(["POST"])
@login_required
@staff_required
def staff_ticket_assign_me(request: HttpRequest, pk: int) -> HttpResponse:
    """One button (and the `a` key): take the ticket, unless someone else took it since the page was loaded."""
    ticket = _staff_ticket(request, pk)
    if ticket.assignee_id == request.user.pk:
        messages.info(request, "This ticket is already assigned to you.")
        return redirect("staff_ticket_detail", pk=ticket.pk)
    form = AssignMeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The ticket was not assigned. Reload the page and try again.")
        return redirect("staff_ticket_detail", pk=ticket.pk)
    try:
        ticket_take(ticket=ticket, actor=request.user, shown_assignee_id=form.cleaned_data["shown_assignee"])
    except DomainError as error:
        messages.error(request, f"The ticket was not assigned. {error.message}")
    else:
        messages.success(request, "Assigned to you.")
    return redirect("staff_ticket_detail", pk=ticket.pk)


@require_http_methods(["POST"])
@login_required
@staff_required
def staff_ticket_link(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _staff_ticket(request, pk)
    form = TicketLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"No link was added. {_first_error(form)}")
        return redirect("staff_ticket_detail", pk=ticket.pk)
    other = ticket_page_for(request.user).filter(pk=form.cleaned_data["other"]).first()
    if other is None:
        messages.error(request, f"No link was added: there is no ticket #{form.cleaned_data['other']}.")
        return redirect("staff_ticket_detail", pk=ticket.pk)
    try:
        ticket_link(ticket=ticket, other=other, relation=form.cleaned_data["relation"], actor=request.user)
    except DomainError as error:
        messages.error(request, f"No link was added. {error.message}")
    else:
        messages.success(request, f"Linked with #{other.pk}.")
    return redirect("staff_ticket_detail", pk=ticket.pk)


@require_http_methods(["POST"])
@login_required
@staff_required
def staff_ticket_unlink(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    ticket = _staff_ticket(request, pk)
    link = get_object_or_404(links_touching(ticket), pk=link_pk)
    ticket_unlink(link=link, actor=request.user)
    messages.success(request, "Link removed.")
    return redirect("staff_ticket_detail", pk=ticket.pk)


@require_http_methods(["GET", "POST"])
@login_required
@staff_required
def staff_ticket_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the ticket to merge into, see both side by side, confirm. Nothing moves before the confirmation."""
    ticket = _staff_ticket(request, pk)
    form = TicketMergeForm(request.POST if request.method == "POST" else (request.GET or None))
    target = None
    if form.is_bound and form.is_valid():
        target = ticket_page_for(request.user).filter(pk=form.cleaned_data["into"]).first()
        if target is None:
            form.add_error("into", f"There is no ticket #{form.cleaned_data['into']}.")
        elif target.pk == ticket.pk:
            form.add_error("into", "Choose another ticket: a ticket cannot be merged into itself.")
            target = None
    if target is not None and request.method == "POST" and form.cleaned_data["confirm"]:
        try:
            ticket_merge(source=ticket, target=target, actor=request.user)
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            messages.success(request, f"#{ticket.pk} was merged into this ticket; its requester was told.")
            return redirect("staff_ticket_detail", pk=target.pk)
    context = {"ticket": ticket, "target": target, "form": form, "different_requesters": _differ(ticket, target)}
    return render(request, "staff/ticket/merge.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@staff_required
def staff_ticket_new(request: HttpRequest) -> HttpResponse:
    """Open a ticket on behalf of a requester; `?requester=<email>` prefills the address (the sidebar's link). The
    form's one-time token makes the same form sent twice (a double click) open one ticket."""
    categories = categories_visible_to(request.user)
    initial = {"requester_email": request.GET.get("requester", "")[:254], "assignee": request.user.pk}
    form = StaffTicketNewForm(request.POST or None, request.FILES or None, categories=categories, initial=initial)
    if request.method == "POST" and form.is_valid():
        opened = page_post_once(
            request,
            token=form.cleaned_data["submit_token"],
            post=lambda: _open_ticket(request, form),
            sent_already="This ticket was already opened; it was not opened again.",
        )
        if opened is not None:
            return opened
    return render(request, "staff/ticket/new.html", {"form": form})


def _open_ticket(request: HttpRequest, form: StaffTicketNewForm) -> HttpResponse | None:
    """Open the ticket and go to it; None when a service refused it, with the reason on the form."""
    data = form.cleaned_data
    try:
        requester, created = requester_find_or_create(
            actor=request.user, email=data["requester_email"], name=data["requester_name"]
        )
        ticket = ticket_open_on_behalf(
            actor=request.user,
            requester=requester,
            subject=data["subject"],
            description=data["description"],
            category=data["category"],
            priority=data["priority"],
            assignee=data["assignee"],
            files=data["attachments"],
        )
    except DomainError as error:
        form_add_domain_error(form, error)
        return None
    who = f"a new requester, {requester.email}" if created else requester.display_name
    messages.success(request, f"Ticket #{ticket.pk} opened for {who}.")
    return redirect("staff_ticket_detail", pk=ticket.pk)


def _arrived_since(request: HttpRequest, ticket: Ticket, seen_comment: int | None) -> list[Comment]:
    """Messages by others the agent had not seen when they wrote their reply (none if the page sent no mark)."""
    if seen_comment is None:
        return []
    return list(comments_visible_to(request.user, ticket).filter(pk__gt=seen_comment).exclude(author=request.user))


def _sent_text(comment: Comment) -> str:
    return "Internal note added." if comment.internal else "Reply sent to the requester."


def _text_to_send(request: HttpRequest, ticket: Ticket, form: StaffReplyForm, macro: Macro | None) -> str:
    """The text the reply posts: the box's, or the chosen macro's own when the box is empty (as macro_apply fills
    it in)."""
    body = form.cleaned_data["body"]
    if body or macro is None:
        return body
    return macro_render(macro=macro, ticket=ticket, agent=request.user)


def _sent_already(request: HttpRequest, ticket: Ticket, data: dict[str, Any], *, text: str) -> bool:
    """Whether the agent already posted this very message from the same page (a double click, a resend after a slow
    answer): their own comment since the page's mark, with the same `text` and mode. A page loaded after it has a
    newer mark, so the same text sent again on purpose goes out."""
    if data["seen_comment"] is None:
        return False
    mine = comments_visible_to(request.user, ticket).filter(author=request.user, pk__gt=data["seen_comment"])
    return mine.filter(body=text, internal=data["mode"] == ReplyMode.NOTE).exists()


def _hold_reply(request: HttpRequest, ticket: Ticket, form: StaffReplyForm, arrived: list[Comment]) -> HttpResponse:
    """Send nothing; show the page again with the new messages and the agent's text as it was, marked as seen now,
    so sending again confirms."""
    data = request.POST.copy()
    data["seen_comment"] = str(max(comment.pk for comment in arrived))
    held = StaffReplyForm(data)
    held.is_valid()
    _ask_for_files_again(held, form.cleaned_data["attachments"])
    count = len(arrived)
    messages.warning(
        request,
        f"Not sent yet: {count} new message{'s' if count != 1 else ''} arrived while you were writing, shown above "
        "your reply, which is kept as you wrote it. Send again to confirm.",
    )
    return _render_staff_ticket_page(request, ticket, reply_form=held, arrived=arrived)


def _macro_gone(request: HttpRequest, ticket: Ticket, form: StaffReplyForm) -> HttpResponse:
    """The macro chosen on the page was deleted, or is no longer shared with the agent, since the page was loaded:
    send nothing rather than the text without the macro's actions. The page comes back with the agent's text as it
    was and the macro dropped, so sending again sends the text alone."""
    data = request.POST.copy()
    data["macro"] = ""
    without_macro = StaffReplyForm(data)
    without_macro.is_valid()
    message = (
        "The macro you chose was deleted or is no longer shared with you, so its actions cannot be applied. "
        "Your text is kept below: send again to send it without the macro."
    )
    without_macro.add_error(None, message)
    _ask_for_files_again(without_macro, form.cleaned_data["attachments"])
    messages.error(request, f"Nothing was sent. {message}")
    return _render_staff_ticket_page(request, ticket, reply_form=without_macro)


def _ask_for_files_again(held: StaffReplyForm, files: list[UploadedFile]) -> None:
    """A page cannot send files back to the browser: say which ones to attach again, or the confirmed reply would
    go without them."""
    if files:
        names = ", ".join(file.name for file in files)
        held.add_error("attachments", f"Attach {names} again: files are not kept while a reply is held.")


@require_http_methods(["POST"])
@login_required
@staff_required
def staff_ticket_presence(request: HttpRequest, pk: int) -> JsonResponse:
    """The page's script reports every few seconds; it learns who else has the ticket open or is typing, and
    whether a message arrived since the page was loaded."""
    ticket = _staff_ticket(request, pk)
    typing = request.POST.get("typing") == "1"
    viewers = presence_touch(ticket_id=ticket.pk, user=request.user, typing=typing)
    latest = comments_visible_to(request.user, ticket).exclude(author=request.user).order_by("-pk").first()
    return JsonResponse(
        {
            "viewers": [{"name": viewer.name, "typing": viewer.typing} for viewer in viewers],
            "latest_comment": latest.pk if latest else 0,
        }
    )


def _differ(ticket: Ticket, target: Ticket | None) -> bool:
    return target is not None and target.requester_id != ticket.requester_id


def _first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return ""


def _initial_mode(request: HttpRequest) -> str:
    """`?mode=note` opens the page with the note tab chosen (the note link, the `n` key without JavaScript)."""
    return ReplyMode.NOTE if request.GET.get("mode") == ReplyMode.NOTE else ReplyMode.REPLY


def _chosen_macro(request: HttpRequest, macro_id: object) -> Macro | None:
    if not isinstance(macro_id, int) and not (isinstance(macro_id, str) and macro_id.isdigit()):
        return None
    if int(macro_id) > 2**63 - 1:
        return None
    return macros_visible_to(request.user).filter(pk=int(macro_id)).first()


def _staff_ticket(request: HttpRequest, pk: int) -> Ticket:
    return get_object_or_404(ticket_page_for(request.user), pk=pk)


def _reply_form_from_macro(request: HttpRequest, ticket: Ticket) -> tuple[StaffReplyForm, Macro | None]:
    """`?macro=<id>` (the macro picker without JavaScript): the box filled in with the macro's text."""
    macro = _chosen_macro(request, request.GET.get("macro"))
    if macro is None:
        if "macro" in request.GET:
            messages.error(request, "That macro does not exist or is not shared with you.")
        return StaffReplyForm(initial={"mode": _initial_mode(request)}), None
    initial = {
        "mode": ReplyMode.NOTE if macro.internal else ReplyMode.REPLY,
        "body": macro_render(macro=macro, ticket=ticket, agent=request.user),
        "macro": macro.pk,
    }
    return StaffReplyForm(initial=initial), macro


def _render_staff_ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: StaffReplyForm | None = None,
    properties_form: TicketPropertiesForm | None = None,
    arrived: list[Comment] | None = None,
) -> HttpResponse:
    if properties_form is None:
        properties_form = TicketPropertiesForm(ticket=ticket, categories=categories_visible_to(request.user))
    properties_form.read_choices()
    chosen_macro = None
    if reply_form is None:
        reply_form, chosen_macro = _reply_form_from_macro(request, ticket)
    elif reply_form.is_bound:
        chosen_macro = _chosen_macro(request, reply_form.data.get("macro"))
    macros = macros_for_ticket_page(request.user)
    conversation = conversation_for(request.user, ticket)
    if not reply_form.is_bound:
        reply_form.initial["seen_comment"] = conversation.last_comment_id
    ticket_mail = ticket_page_mail(ticket)
    requester_tickets = requester_others(request.user, ticket)
    opening_mail_id = ticket_mail.opening.pk if ticket_mail.opening else None
    context = {
        "ticket": ticket,
        "conversation": conversation_html(ticket, conversation, opening_mail_id=opening_mail_id),
        "arrived": arrived or [],
        "viewers": presence_touch(ticket_id=ticket.pk, user=request.user),
        "presence_poll_seconds": POLL_SECONDS,
        "timeline": timeline_html(request.user, ticket),
        "ticket_mail": ticket_mail,
        "reply_form": reply_form,
        "properties_form": properties_form,
        "macros": macros,
        "links": linked_tickets(ticket),
        "requester_tickets": requester_tickets,
        "requester_tickets_html": requester_tickets_html(requester_tickets),
        "assign_form": AssignMeForm(initial={"shown_assignee": ticket.assignee_id}),
        "link_form": TicketLinkForm(),
        "merge_form": TicketMergeForm(),
        "chosen_macro": chosen_macro,
        "chosen_macro_actions": macro_describe_actions(chosen_macro) if chosen_macro else [],
        "macro_texts": {
            str(macro.pk): {
                "body": macro_render(macro=macro, ticket=ticket, agent=request.user),
                "internal": macro.internal,
                "actions": macro_describe_actions(macro),
            }
            for macro in macros
        },
    }
    return render(request, "staff/ticket_detail.html", context)

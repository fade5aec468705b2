"""`{% conversation_comment comment %}`: one comment of a ticket's conversation as an `<article>`.

Written in Python rather than in templates/includes/conversation.html's loop: each comment there took a dozen
template nodes and lookups, which made the conversation a fifth of the staff ticket page's render with a hundred
comments. The markup is what the loop wrote, held by tests/tickets/test_conversation_markup.py.
"""

from __future__ import annotations

from django import template
from django.template.context import Context
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from helpdesk.templatetags.timestamps import timestamp
from tickets.models import Comment

register = template.Library()

DEFAULT_ATTACHMENTS_TEMPLATE = "includes/attachments.html"
INTERNAL_BADGE = '<span class="badge badge-internal">Internal note</span>'


def _author_label(context: Context, comment: Comment) -> str:
    # requester_label: the private link page must not show whose account the typed address belongs to.
    requester_label = context.get("requester_label")
    ticket = context.get("ticket")
    if requester_label and ticket is not None and comment.author_id == ticket.requester_id:
        return conditional_escape(requester_label)
    return conditional_escape(comment.author.display_name)


def _files(context: Context, comment: Comment) -> str:
    """The comment's files through `attachments_template`, as `{% include ... with attachments=... %}` would."""
    files = getattr(comment, "files", None)
    if not files:
        return ""
    name = context.get("attachments_template") or DEFAULT_ATTACHMENTS_TEMPLATE
    with context.push(attachments=files):
        return context.template.engine.get_template(name).render(context)


@register.simple_tag(takes_context=True)
def conversation_comment(context: Context, comment: Comment) -> SafeString:
    internal = comment.internal
    # mail_id: set on staff pages only (inbound.selectors.comments_with_mail_source), for replies that came by mail.
    mail_id = getattr(comment, "mail_id", None)
    mail_link = (
        format_html('<a class="muted" href="{}">full mail</a>', reverse("inbound_message_original", args=[mail_id]))
        if mail_id
        else ""
    )
    # body_html is rendered from Markdown and sanitized by tickets.services when the comment is written.
    return mark_safe(  # noqa: S308 - every part is escaped above or is sanitized HTML
        f'<article class="comment{" comment-internal" if internal else ""}" id="comment-{comment.pk}">\n'
        '  <header class="comment-header">\n'
        f"    <strong>{_author_label(context, comment)}</strong>\n"
        f"    {INTERNAL_BADGE if internal else ''}\n"
        f"    {timestamp(comment.created_at, 'muted')}\n"
        "    \n"
        f"    {mail_link}\n"
        "  </header>\n"
        "  \n"
        f'  <div class="comment-body prose">{comment.body_html}</div>\n'
        "  \n"
        f"  {_files(context, comment)}\n"
        "</article>"
    )

"""`{% conversation_comment %}` writes exactly what the template loop it replaces wrote, for every kind of comment."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template

from accounts.models import User
from tickets.selectors import conversation_of
from tickets.services import comment_create

# templates/includes/conversation.html's loop body before the tag replaced it.
LOOP = Template(
    """{% load timestamps %}{% for comment in comments %}
<article class="comment{% if comment.internal %} comment-internal{% endif %}" id="comment-{{ comment.pk }}">
  <header class="comment-header">
    <strong>{% if requester_label and comment.author_id == ticket.requester_id %}{{ requester_label }}{% else %}{{ comment.author.display_name }}{% endif %}</strong>
    {% if comment.internal %}<span class="badge badge-internal">Internal note</span>{% endif %}
    {% timestamp comment.created_at "muted" %}
    {# a comment #}
    {% if comment.mail_id %}<a class="muted" href="{% url 'inbound_message_original' comment.mail_id %}">full mail</a>{% endif %}
  </header>
  {# a comment #}
  <div class="comment-body prose">{{ comment.body_html|safe }}</div>
  {# a comment #}
  {% if comment.files %}{% include attachments_template|default:"includes/attachments.html" with attachments=comment.files %}{% endif %}
</article>
{% endfor %}"""  # noqa: E501 - the template as it was
)
TAG = Template("{% load conversation %}{% for comment in comments %}\n{% conversation_comment comment %}\n{% endfor %}")


@pytest.fixture
def comments(alice, bob, ticket):
    bob.name = 'Bob <b>"the agent"</b> & co'
    bob.save()
    unnamed = User.objects.create_user(email="o'brien@example.com", password="x", role=bob.role)
    comment_create(ticket=ticket, author=bob, body="**Hello** <script>alert(1)</script>")
    comment_create(ticket=ticket, author=bob, body="Vendor case 42", internal=True)
    comment_create(
        ticket=ticket,
        author=alice,
        body="Here",
        files=[SimpleUploadedFile("a<b>.txt", b"content"), SimpleUploadedFile("photo.png", b"x" * 3000)],
    )
    comment_create(ticket=ticket, author=unnamed, body="From the team")
    shown = conversation_of(bob, ticket).comments
    shown[0].mail_id = 7  # as inbound.selectors.comments_with_mail_source annotates a reply that came by mail
    return shown


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"requester_label": "Requester", "attachments_template": "forms_builder/includes/file_names.html"},
        {"requester_label": "<i>Requester</i>"},
    ],
    ids=["staff and requester pages", "private link page", "label escaped"],
)
def test_each_comment_is_written_as_the_template_loop_wrote_it(comments, ticket, extra):
    context = {"comments": comments, "ticket": ticket, **extra}

    written = TAG.render(Context(context))

    assert written == LOOP.render(Context(context))
    assert written.count("<article") == 4
    assert "<script>" not in written
    assert "&lt;b&gt;&quot;the agent&quot;&lt;/b&gt; &amp; co" in written
    assert "a&lt;b&gt;.txt" in written
    assert written.count("full mail") == 1

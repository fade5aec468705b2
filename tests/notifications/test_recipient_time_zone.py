"""A mail tells times in its recipient's zone (the site's for one who picked none), whoever's request queued it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_create
from events.models import Event, EventKind
from notifications.models import Notification, NotificationKind
from tests.conftest import PASSWORD
from webhooks.models import WebhookEndpoint
from webhooks.notifications import mail_admins_endpoint_disabled
from webhooks.services import webhook_endpoint_disable

KOLKATA = ZoneInfo("Asia/Kolkata")


def test_each_admin_is_told_when_a_webhook_was_disabled_in_their_own_zone(carol, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    User.objects.filter(pk=carol.pk).update(time_zone="Asia/Kolkata")
    dave = user_create(email="dave@example.com", password=PASSWORD, name="Dave", role=Role.ADMIN)
    endpoint = WebhookEndpoint.objects.create(url="https://crm.example.com/hook", secret="s" * 32)

    webhook_endpoint_disable(endpoint=endpoint, reason="410 Gone")
    event = Event.objects.get(kind=EventKind.WEBHOOK_DISABLED)
    with timezone.override(ZoneInfo("America/New_York")):  # the zone of whoever's worker this is: not theirs
        mail_admins_endpoint_disabled(event=event)

    mails = {mail.address: mail for mail in Notification.objects.filter(kind=NotificationKind.WEBHOOK_DISABLED)}
    in_kolkata = timezone.localtime(event.created_at, KOLKATA).strftime("%H:%M IST")
    in_berlin = timezone.localtime(event.created_at, ZoneInfo("Europe/Berlin")).strftime("%H:%M CE")
    assert in_kolkata in mails[carol.email].body_text and in_kolkata in mails[carol.email].body_html
    assert in_berlin in mails[dave.email].body_text


def test_the_mail_tells_when_the_endpoint_was_disabled_not_when_it_was_last_edited(carol, settings):
    settings.TIME_ZONE = "UTC"
    endpoint = WebhookEndpoint.objects.create(url="https://crm.example.com/hook", secret="s" * 32)
    webhook_endpoint_disable(endpoint=endpoint, reason="410 Gone")
    event = Event.objects.get(kind=EventKind.WEBHOOK_DISABLED)
    Event.objects.filter(pk=event.pk).update(created_at="2026-03-02T12:00:00Z")
    # An admin fixes its description before the worker gets to the mail (or before a retry of it).
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(updated_at="2026-03-02T15:45:00Z")

    mail_admins_endpoint_disabled(event=Event.objects.get(pk=event.pk))

    [mail] = Notification.objects.filter(kind=NotificationKind.WEBHOOK_DISABLED)
    assert "was disabled on Mon 2 Mar 2026, 12:00 UTC" in mail.body_text
    assert "was disabled on Mon 2 Mar 2026, 12:00 UTC" in mail.body_html

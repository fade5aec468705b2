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
    with timezone.override(ZoneInfo("America/New_York")):  # the zone of whoever's worker this is: not theirs
        mail_admins_endpoint_disabled(event=Event.objects.get(kind=EventKind.WEBHOOK_DISABLED))

    endpoint.refresh_from_db()
    mails = {mail.address: mail for mail in Notification.objects.filter(kind=NotificationKind.WEBHOOK_DISABLED)}
    in_kolkata = timezone.localtime(endpoint.updated_at, KOLKATA).strftime("%H:%M IST")
    in_berlin = timezone.localtime(endpoint.updated_at, ZoneInfo("Europe/Berlin")).strftime("%H:%M CE")
    assert in_kolkata in mails[carol.email].body_text and in_kolkata in mails[carol.email].body_html
    assert in_berlin in mails[dave.email].body_text

from __future__ import annotations

from django.urls import path

from inbound import views, webhooks

urlpatterns = [
    path("staff/mail/<int:pk>/", views.inbound_message_original, name="inbound_message_original"),
    path("staff/mail/<int:pk>/read/", views.inbound_message_read, name="inbound_message_read"),
    path("staff/mail/<int:pk>/mail.eml", views.inbound_message_download, name="inbound_message_download"),
    path(
        "staff/tickets/<int:ticket_pk>/held-mail/<int:pk>/accept/",
        views.held_mail_accept,
        name="held_mail_accept",
    ),
    path(
        "staff/tickets/<int:ticket_pk>/held-mail/<int:pk>/reject/",
        views.held_mail_reject,
        name="held_mail_reject",
    ),
    path("mail/inbound/mailgun/", webhooks.mailgun_inbound, name="inbound_mailgun"),
    path("mail/inbound/postmark/", webhooks.postmark_inbound, name="inbound_postmark"),
    path("mail/inbound/sendgrid/", webhooks.sendgrid_inbound, name="inbound_sendgrid"),
    path("mail/inbound/amazon-ses/", webhooks.amazon_ses_inbound, name="inbound_amazon_ses"),
]

"""Our confirmation mails read the way their recipient reads them: the code they carry, typed into the page that
asks for it in the browser that asked for the mail, and nothing else in them to follow."""

from __future__ import annotations

import re

from django.core.mail import EmailMessage
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

# allauth's default code: eight letters (no vowels, so no words), in two groups (allauth.core.internal.cryptokit).
CODE = re.compile(r"^([A-Z]{4}-[A-Z]{4})$", re.MULTILINE)
LINK_TO_THE_SITE = re.compile(r"http://testserver(/\S*)")


def confirmation_code(message: EmailMessage) -> str:
    return CODE.search(message.body).group(1)


def confirm_with_code(browser: Client, message: EmailMessage, **kwargs: object) -> HttpResponse:
    """`browser` types the mail's code into the page that asks for it (allauth's email verification stage)."""
    return browser.post(reverse("account_email_verification_sent"), {"code": confirmation_code(message)}, **kwargs)


def recipient_does_what_the_mail_says(browser: Client, message: EmailMessage) -> None:
    """The mail's recipient, in their own browser, does whatever it asks: opens each link to the site in it and
    presses its button (a POST to the same page), and types any code it carries into the page that asks for one."""
    for path in LINK_TO_THE_SITE.findall(message.body):
        browser.get(path)
        browser.post(path)
    if CODE.search(message.body):
        confirm_with_code(browser, message)

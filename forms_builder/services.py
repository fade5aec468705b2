"""Every write of the forms app: publishing, duplicating, and turning a submission into a ticket."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User, normalize_email_address
from accounts.selectors import accounts_at_address, requester_address_refusal
from accounts.services import EmailTaken, user_create
from events.models import EventKind
from events.services import event_record
from forms_builder.definitions import definition_problems, form_definition
from forms_builder.engine import check_answers
from forms_builder.models import Condition, Field, FieldType, Form, FormVersion, Submission
from forms_builder.notifications import mail_private_link
from forms_builder.selectors import form_latest_version
from helpdesk.errors import InvalidValue, NotPermitted
from sla.services import sla_clocks_update
from tickets.models import Channel
from tickets.permissions import is_staff_member
from tickets.services import display_filename, ticket_create

SUBJECT_MAX_LENGTH = 200


@transaction.atomic
def form_publish(*, form: Form, actor: User) -> FormVersion:
    """Snapshot the draft as the next immutable version. Raises helpdesk.errors.InvalidValue with details keyed by
    field key when definition_problems() finds any."""
    # Lock the form so two admins publishing at once get consecutive numbers rather than a constraint error, and
    # snapshot the row as stored now, not the caller's copy, which may predate another admin's save.
    form = Form.objects.select_for_update().get(pk=form.pk)
    definition = form_definition(form)
    problems = definition_problems(definition)
    if problems:
        raise InvalidValue("The form cannot be published until these problems are fixed.", details=problems)
    latest = form.versions.aggregate(latest=Max("number"))["latest"] or 0
    return FormVersion.objects.create(
        form=form, number=latest + 1, definition=definition, published_at=timezone.now(), published_by=actor
    )


@transaction.atomic
def form_duplicate(*, form: Form, actor: User) -> Form:
    """A copy of the form (fields and conditions), inactive, with a new unique slug and name "Copy of ..."."""
    now = timezone.now()
    copy = Form.objects.create(
        name=f"Copy of {form.name}"[: Form._meta.get_field("name").max_length],
        slug=_unused_slug(form.slug),
        description=form.description,
        category=form.category,
        default_priority=form.default_priority,
        is_active=False,
        is_public=form.is_public,
        position=form.position,
        subject_template=form.subject_template,
        description_field=form.description_field,
        created_at=now,
        updated_at=now,
    )
    fields = list(form.fields.all())
    originals = [field.pk for field in fields]
    for field in fields:
        field.pk = None
        field.form = copy
    copied_fields = dict(zip(originals, Field.objects.bulk_create(fields), strict=True))
    Condition.objects.bulk_create(
        Condition(
            form=copy,
            target=copied_fields[condition.target_id],
            kind=condition.kind,
            source=copied_fields[condition.source_id],
            operator=condition.operator,
            value=condition.value,
        )
        for condition in form.conditions.all()
    )
    return copy


def _unused_slug(slug: str) -> str:
    limit = Form._meta.get_field("slug").max_length
    for number in range(1, 1000):
        suffix = "-copy" if number == 1 else f"-copy-{number}"
        candidate = slug[: limit - len(suffix)] + suffix
        if not Form.objects.filter(slug=candidate).exists():
            return candidate
    return f"{slug[: limit - 17]}-{secrets.token_hex(8)}"


@transaction.atomic
def submission_create(
    *,
    form: Form,
    answers: Mapping[str, Any],
    files: Mapping[str, Sequence[UploadedFile]] | None = None,
    requester: User,
    actor: User,
    sender_verified: bool = True,
) -> tuple[Submission, str | None]:
    """Check the answers against the form's latest version with the engine and open the ticket.

    Raises helpdesk.errors.InvalidValue(details={field key: [messages]}) when the answers are invalid, and
    InvalidValue(details={"form": [...]}) when the form is inactive or unpublished. The ticket lands in the form's
    category (and so its default team) with the form's default priority; its subject comes from the subject
    template, its description from the description field; file answers become the ticket's attachments.
    Returns the submission and, for public forms, the private link's token (shown once; only its digest is kept),
    else None. `sender_verified=False` for a guest who typed an address without signing in (see ticket_create).

    The questions and the subject template come from the published version; routing (category, priority, public)
    follows the form's current settings, which take effect without republishing.
    """
    if not form.is_active:
        raise InvalidValue("This form is closed.", details={"form": ["This form is not accepting submissions."]})
    version = form_latest_version(form=form)
    if version is None:
        raise InvalidValue("This form is not published.", details={"form": ["This form has not been published yet."]})
    definition = version.definition
    checked = check_answers(definition, answers, files)
    if not checked.is_valid:
        raise InvalidValue("Some answers need attention.", details=checked.errors)
    uploads = [upload for key in checked.files for upload in checked.files[key]]
    ticket = ticket_create(
        requester=requester,
        actor=actor,
        subject=render_subject(definition, checked.answers),
        description=_description(definition, checked.answers),
        category=form.category,
        intake_priority=form.default_priority,
        files=uploads,
        channel=Channel.FORM,
        sender_verified=sender_verified,
    )
    stored = {**checked.answers, **_file_answers(checked.files)}
    token = secrets.token_urlsafe(32) if form.is_public else None
    submission = Submission.objects.create(
        version=version,
        ticket=ticket,
        answers=stored,
        answers_text=answers_text(definition, stored),
        access_token_digest=token_digest(token) if token else "",
        access_address=requester.email if token else "",
    )
    sla_clocks_update(ticket=ticket)  # again, now that the form's answers can match a policy
    event_record(
        kind=EventKind.FORM_SUBMITTED,
        ticket=ticket,
        actor=actor,
        payload={"submission_id": submission.pk, "form_id": form.pk, "version": version.number},
    )
    return submission, token


def _file_answers(files: Mapping[str, Sequence[UploadedFile]]) -> dict[str, list[dict[str, Any]]]:
    return {
        key: [{"filename": display_filename(upload.name or ""), "size": upload.size} for upload in uploads]
        for key, uploads in files.items()
    }


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def answer_display(spec: Mapping[str, Any], value: Any) -> str:
    """An answer as a person reads it: choice labels, Yes/No, file names."""
    if value is None:
        return ""
    labels = {choice["value"]: choice["label"] for choice in spec.get("choices") or []}
    if spec["type"] == FieldType.CHECKBOX:
        return "Yes" if value else "No"
    if spec["type"] == FieldType.FILE:
        return ", ".join(item["filename"] for item in value)
    if isinstance(value, list):
        return ", ".join(labels.get(item, item) for item in value)
    return labels.get(value, str(value))


def render_subject(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> str:
    """The subject template with the visible answers filled in (a missing answer is blank), on one line, capped;
    the form's name when nothing is left."""
    by_key = {spec["key"]: spec for spec in definition["fields"]}
    parts = []
    for literal, name, _spec, _conversion in string.Formatter().parse(definition["form"]["subject_template"]):
        parts.append(literal)
        if name and name in by_key:
            parts.append(answer_display(by_key[name], answers.get(name)))
    subject = re.sub(r"\s+", " ", "".join(parts)).strip()[:SUBJECT_MAX_LENGTH].strip()
    return subject or definition["form"]["name"][:SUBJECT_MAX_LENGTH]


def _description(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> str:
    key = definition["form"].get("description_field")
    spec = next((spec for spec in definition["fields"] if spec["key"] == key), None)
    if spec is None:
        return ""
    return answer_display(spec, answers.get(key))


def answers_text(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> str:
    """ "Label: value" lines for the visible answers, in form order, for search."""
    return "\n".join(
        f"{spec['label']}: {answer_display(spec, answers[spec['key']])}"
        for spec in definition["fields"]
        if spec["key"] in answers
    )


@transaction.atomic
def public_requester_for(*, email: str, name: str = "") -> User:
    """The requester account for this address: existing, or created without a password (named `name`). Staff
    addresses are refused, and so are deactivated accounts' (accounts.selectors.requester_address_refusal)."""
    address = normalize_email_address(email)
    try:
        validate_email(address)
    except ValidationError as error:
        raise InvalidValue("Invalid email address.", details={"email": ["Enter a valid email address."]}) from error
    refusal = requester_address_refusal(address)
    if refusal:
        raise InvalidValue(refusal, details={"email": [refusal]})
    existing = next(iter(accounts_at_address(address)), None)
    if existing is not None and existing.is_staff:
        # Anyone can type any address; a ticket opened, unsigned, in an agent's or admin's name would carry their
        # authority in the audit trail. Staff sign in to open tickets.
        raise InvalidValue(
            "Please sign in to use this address.", details={"email": ["Please sign in to use this address."]}
        )
    if existing is not None:
        return existing
    try:
        # A savepoint, so a concurrent first submission from the same address falls back to the winner's account.
        with transaction.atomic():
            # Anyone may type any address here: it stays unconfirmed until its owner signs up or resets the password.
            return user_create(email=address, password=None, name=name, email_verified=False)
    except (EmailTaken, IntegrityError):
        return accounts_at_address(address)[0]


@transaction.atomic
def private_link_reissue(*, submission: Submission, actor: User) -> None:
    """Revoke the ticket's private link at once; the worker then mails a new one to the address on the ticket
    (`private_link_send`). For a link in the wrong hands: whoever typed someone else's address loses it, and the
    address's owner gets one."""
    if not is_staff_member(actor):
        raise NotPermitted("Only agents and admins may revoke a private link.")
    if not submission.ticket.requester.is_active:
        # Its links open nothing while it is deactivated (private_link_addresses_requester): a new one would not either.
        raise InvalidValue(
            "The requester's account is deactivated, so no link opens this ticket; reactivate it first.",
            details={"requester": ["Deactivated."]},
        )
    event = event_record(
        kind=EventKind.PRIVATE_LINK_REISSUED,
        ticket=submission.ticket,
        actor=actor,
        internal=True,
        payload={"submission_id": submission.pk},
    )
    Submission.objects.filter(pk=submission.pk).update(access_token_digest="", link_reissue_event=event)


@transaction.atomic
def private_link_send(*, submission_id: int, event_id: int) -> None:
    """Mail a new private link for the reissue `event_id`, unless a later reissue replaced it or it was sent.

    The mail is queued (notifications/) in the same transaction as the link's digest is saved, and retried there
    until sent. Its body is the one place the secret is kept, encrypted at rest like every other secret.
    """
    submission = (
        Submission.objects.select_for_update(of=("self",)).select_related("ticket__requester").get(pk=submission_id)
    )
    if submission.link_reissue_event_id != event_id:
        return
    token = secrets.token_urlsafe(32)
    mail_private_link(ticket=submission.ticket, token=token, event_id=event_id)
    Submission.objects.filter(pk=submission.pk, link_reissue_event_id=event_id).update(
        access_token_digest=token_digest(token),
        access_address=submission.ticket.requester.email,
        link_mailed=True,
        link_reissue_event=None,
    )


def submission_for_token(*, token: str) -> Submission | None:
    """The submission a private link's token opens, or None: unknown, revoked, or no longer addressed to the
    ticket's requester (`private_link_addresses_requester`)."""
    if not token:
        return None
    submission = (
        Submission.objects.select_related("ticket__requester", "version__form")
        .filter(access_token_digest=token_digest(token))
        .first()
    )
    if submission is None or not private_link_addresses_requester(submission):
        return None
    return submission


def private_link_addresses_requester(submission: Submission) -> bool:
    """Whether the private link still goes to the ticket's requester: the account is active and its address is
    still the one the link was given to. A deactivated account's links stop working (as it cannot sign in or be
    mailed), and so do the links given to an address before it changed on the account or the ticket went to
    another requester; staff reissue one to the address on the ticket now (`private_link_reissue`)."""
    requester = submission.ticket.requester
    return (
        requester.is_active
        and bool(submission.access_address)
        and normalize_email_address(requester.email) == normalize_email_address(submission.access_address)
    )

"""Intake forms: admin-defined fields with rules and conditions, published as immutable versions.

A Form and its Fields and Conditions are the editable draft. Publishing snapshots them into a FormVersion (a JSON
document, see forms_builder/definitions.py for its shape); every Submission keeps the version it was checked against,
so later edits never change how an old ticket's answers read.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from tickets.models import Category, Priority, Ticket


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    TEXTAREA = "textarea", "Paragraph"
    EMAIL = "email", "Email"
    URL = "url", "URL"
    INTEGER = "integer", "Whole number"
    DECIMAL = "decimal", "Number"
    DATE = "date", "Date"
    SELECT = "select", "Drop-down"
    MULTISELECT = "multiselect", "Multiple choice (several)"
    RADIO = "radio", "Multiple choice (one)"
    CHECKBOX = "checkbox", "Checkbox"
    FILE = "file", "File upload"


CHOICE_TYPES = frozenset({FieldType.SELECT, FieldType.MULTISELECT, FieldType.RADIO})


class Operator(models.TextChoices):
    EQUALS = "equals", "equals"
    NOT_EQUALS = "not_equals", "does not equal"
    IN = "in", "is one of"
    NOT_IN = "not_in", "is none of"
    CONTAINS = "contains", "contains"
    IS_EMPTY = "is_empty", "is empty"
    IS_NOT_EMPTY = "is_not_empty", "is not empty"
    GT = "gt", "is greater than"
    LT = "lt", "is less than"


class Match(models.TextChoices):
    ALL = "all", "all conditions"
    ANY = "any", "any condition"


class ConditionKind(models.TextChoices):
    VISIBLE = "visible_when", "Show only when"
    REQUIRED = "required_when", "Required when"


class FormQuerySet(models.QuerySet["Form"]):
    def active(self) -> FormQuerySet:
        return self.filter(is_active=True)


class Form(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="forms")
    default_priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    is_active = models.BooleanField("active", default=True)
    is_public = models.BooleanField(
        "public", default=False, help_text="May be filled in without signing in (the requester gives an email)."
    )
    position = models.PositiveIntegerField(default=0, help_text="Order on the forms page.")
    subject_template = models.CharField(
        max_length=200,
        help_text='The ticket subject, with answers in braces: "{product}: {summary}". A single "{summary}" '
        "uses that field as the subject.",
    )
    description_field = models.SlugField(
        max_length=50, blank=True, help_text="Key of the field whose answer becomes the ticket description."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = FormQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Field(models.Model):
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(max_length=50, help_text="Unique within the form; used in subject templates and the API.")
    label = models.CharField(max_length=200)
    help_text = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=16, choices=FieldType.choices, default=FieldType.TEXT)
    required = models.BooleanField(default=False, help_text="Applies only while the field is shown.")
    min_length = models.PositiveIntegerField(null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    pattern = models.CharField(
        "regular expression", max_length=200, blank=True, help_text="The whole answer must match."
    )
    min_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    choices = models.TextField(blank=True, help_text='One per line: "value | Label" (or just "value").')
    max_file_size = models.PositiveIntegerField("largest file (bytes)", null=True, blank=True)
    allowed_extensions = models.CharField(max_length=200, blank=True, help_text='Comma-separated, e.g. "pdf, png".')
    visible_match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    required_match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["form", "key"], name="forms_field_key_unique_per_form")]

    def __str__(self) -> str:
        return f"{self.label} ({self.key})"

    def clean(self) -> None:
        """Refuse rules the engine could not apply (a bad or unsafe regex, min above max, choices missing)."""
        from forms_builder.definitions import field_definition, field_rule_problems_by_rule

        problems = field_rule_problems_by_rule(field_definition(self))
        if problems:
            raise ValidationError(problems)


class Condition(models.Model):
    """One row of a field's `visible_when` or `required_when`: "<source> <operator> <value>"."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="conditions")
    target = models.ForeignKey(Field, on_delete=models.CASCADE, related_name="conditions")
    kind = models.CharField(max_length=16, choices=ConditionKind.choices, default=ConditionKind.VISIBLE)
    source = models.ForeignKey(Field, on_delete=models.CASCADE, related_name="+")
    operator = models.CharField(max_length=16, choices=Operator.choices, default=Operator.EQUALS)
    value = models.CharField(
        max_length=500, blank=True, help_text='For "is one of" / "is none of": comma-separated values.'
    )

    class Meta:
        ordering = ["target__position", "id"]

    def __str__(self) -> str:
        return f"{self.target.key} {self.kind}: {self.source.key} {self.operator} {self.value}"

    def clean(self) -> None:
        """Refuse conditions on another form's fields, on a field not placed before the target (which also rules out
        cycles), and operators or values that make no sense for the source's type."""
        from forms_builder.definitions import condition_definition, condition_problems, field_definition

        if self.source_id is None or self.target_id is None:
            return
        if self.source_id == self.target_id:
            raise ValidationError({"source": "A field cannot depend on itself; choose a field placed before it."})
        form_ids = {self.source.form_id, self.target.form_id} | ({self.form_id} if self.form_id else set())
        if len(form_ids) > 1:
            raise ValidationError({"source": "A condition can only depend on a field of the same form."})
        placed_before = (self.source.position, self.source.pk) < (self.target.position, self.target.pk)
        problems = condition_problems(
            field_definition(self.source), condition_definition(self), placed_before=placed_before
        )
        if problems:
            raise ValidationError({"source" if not placed_before else "value": problems})


class FormVersion(models.Model):
    """An immutable snapshot of a form's definition, made by publishing."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["form", "-number"]
        constraints = [models.UniqueConstraint(fields=["form", "number"], name="forms_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.form} v{self.number}"


class Submission(models.Model):
    """The answers that opened a ticket, with the version they were validated against."""

    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions")
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="submission")
    answers = models.JSONField(help_text="Visible answers only, keyed by field key.")
    answers_text = models.TextField(blank=True, editable=False, help_text="Label: answer lines, for search.")
    access_token_digest = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="SHA-256 of the private link's token (public forms)."
    )
    # The address the link was given to (typed into the form, or mailed to on a reissue): the link opens the ticket
    # only while that is still the address of the ticket's active requester (forms_builder.services).
    access_address = models.EmailField(blank=True, editable=False)
    # Whether the link went by mail to that address (a reissue), so whoever opens it is the ticket's requester; the
    # first link is shown to whoever filled in the form, who may have typed someone else's address.
    link_mailed = models.BooleanField(default=False, editable=False)
    # Set when staff revoke the private link; the worker mails a new link for this event, then clears it.
    link_reissue_event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Submission for #{self.ticket_id}"

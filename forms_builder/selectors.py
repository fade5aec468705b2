"""Read queries for intake forms: which forms a user may fill in, with what the lists show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db.models import OuterRef, QuerySet, Subquery

from accounts.permissions import AnyUser
from forms_builder.engine import check_answers
from forms_builder.models import Form, FormVersion
from tickets.selectors import categories_visible_to


def forms_usable_by(user: AnyUser) -> QuerySet[Form]:
    """The forms a visitor may fill in: active, published, in a category they may pick; without an account, only
    public ones. Each is annotated with `latest_version` (its newest version's number).

    Pages and the API both ask this; "public" only means a form may also be filled in without signing in.
    """
    newest = FormVersion.objects.filter(form=OuterRef("pk")).order_by("-number").values("number")[:1]
    forms = (
        Form.objects.active()
        .filter(category__in=categories_visible_to(user))
        .annotate(latest_version=Subquery(newest))
        .filter(latest_version__isnull=False)
        .select_related("category")
    )
    if not user.is_authenticated:
        forms = forms.filter(is_public=True)
    return forms


def form_slug_for_category(user: AnyUser, category_slug: str) -> str | None:
    """The category's form when it has exactly one the visitor may use, else None (they choose on the list)."""
    slugs = list(forms_usable_by(user).filter(category__slug=category_slug).values_list("slug", flat=True)[:2])
    return slugs[0] if len(slugs) == 1 else None


def form_latest_version(*, form: Form) -> FormVersion | None:
    """The published version submissions are checked against (the newest), or None if never published."""
    return form.versions.order_by("-number").first()


def answer_problems(
    *, form: Form, answers: Mapping[str, Any], files: Mapping[str, Sequence[UploadedFile]] | None = None
) -> dict[str, list[str]]:
    """The engine's messages on these answers against the form's latest version, by field key, writing nothing.

    For a submission refused for another reason (a requester who cannot be used) that would otherwise name the
    answers' problems only on the next try. `submission_create` still decides when the answers are sent for real."""
    version = form_latest_version(form=form)
    return check_answers(version.definition, answers, files).errors if version is not None else {}

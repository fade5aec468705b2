"""Publishing snapshots the draft; later edits never change an old submission's version or answers."""

from __future__ import annotations

import pytest

from forms_builder.models import Field, Form, FormVersion
from forms_builder.selectors import form_latest_version
from forms_builder.services import form_publish, submission_create
from helpdesk.errors import InvalidValue
from tests.forms_builder.examples import bug_report_form


@pytest.fixture
def form(category):
    return bug_report_form(category)


def test_publishing_snapshots_the_draft_as_the_next_version(form, carol):
    first = form_publish(form=form, actor=carol)
    Field.objects.filter(form=form, key="summary").update(label="What happened?")
    second = form_publish(form=form, actor=carol)

    assert (first.number, second.number) == (1, 2)
    assert form_latest_version(form=form) == second
    assert [f["label"] for f in first.definition["fields"]][2] == "Summary"
    assert [f["label"] for f in second.definition["fields"]][2] == "What happened?"
    assert second.published_by == carol


def test_publishing_snapshots_the_stored_form_not_a_stale_copy(form, carol):
    stale = Form.objects.get(pk=form.pk)
    Form.objects.filter(pk=form.pk).update(name="Bug report (renamed)")

    version = form_publish(form=stale, actor=carol)

    assert version.definition["form"]["name"] == "Bug report (renamed)"


def test_a_form_that_was_never_published_has_no_version(form):
    assert form_latest_version(form=form) is None


def test_editing_and_deleting_fields_later_leaves_an_old_submission_untouched(form, carol, alice):
    version = form_publish(form=form, actor=carol)
    submission, _token = submission_create(
        form=form,
        answers={"product": "desktop", "version": "1.0", "summary": "Crash"},
        requester=alice,
        actor=alice,
    )

    Field.objects.filter(form=form, key="version").delete()
    Field.objects.filter(form=form, key="summary").update(label="Changed")
    form_publish(form=form, actor=carol)

    submission.refresh_from_db()
    assert submission.version == version
    assert submission.answers == {"product": "desktop", "version": "1.0", "summary": "Crash"}
    assert FormVersion.objects.get(pk=version.pk).definition["fields"][1]["key"] == "version"


def test_a_draft_with_problems_is_not_published(form, carol):
    Field.objects.filter(form=form, key="summary").update(pattern="([")

    with pytest.raises(InvalidValue) as refused:
        form_publish(form=form, actor=carol)

    assert list(refused.value.details) == ["summary"]
    assert not form.versions.exists()

"""PythonWidgetRenderer writes the same bytes as Django's own templates, for every field of the forms using it."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.test import RequestFactory

from accounts.models import Role, User
from accounts.services import user_create
from helpdesk.form_renderer import python_widget_renderer
from helpdesk.templatetags.page_fields import page_field
from queues.forms import BulkForm, QueueFilter, SaveViewForm
from tests.conftest import PASSWORD
from tickets.models import Category, Team, Ticket

HOSTILE = "<b>\"Tom\" & 'Jerry'</b>"


def renderings(form: forms.Form) -> list[str]:
    """Every piece of every field the pages show, as the form's renderer writes it."""
    pieces = []
    for field in form:
        pieces += [
            str(field),
            field.label_tag(),
            str(field.errors),
            page_field(field),
        ]
    return pieces


def both(make_form) -> tuple[list[str], list[str]]:
    """Renderings of the form made with Django's template renderer, and of the one made with the form's own."""
    django_form, python_form = make_form(DjangoTemplates()), make_form(None)
    assert python_form.renderer is python_widget_renderer
    return renderings(django_form), renderings(python_form)


@pytest.fixture
def options(db, bob):
    hostile_team = Team.objects.create(name=HOSTILE)
    hostile_team.members.add(bob)
    Category.objects.create(name=HOSTILE, slug="hostile")
    user_create(email="quote@example.com", password=PASSWORD, name=HOSTILE, role=Role.AGENT)
    return {"bob": bob}


def queue_filter_form(data: QueryDict, bob: User, renderer: DjangoTemplates | None) -> forms.Form:
    request = RequestFactory().get("/staff/")
    request.user = bob
    filterset = QueueFilter(
        data,
        queryset=Ticket.objects.all(),
        request=request,
        agents=User.objects.staff(),
        teams=Team.objects.all(),
        categories=Category.objects.all(),
    )
    form = filterset.form
    form.renderer = renderer or form.renderer  # before anything is rendered or validated
    form.is_valid()
    return form


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=new&status=pending&assignee=me&priority=urgent&sort=priority&q=%3Cscript%3E",
        "team=1&category=1&my_teams=true&sla=breached&tag=%22vip%22&created_after=2024-01-01T00:00:00Z",
        "status=nonsense&priority=nonsense&team=999999&requester=abc&created_after=yesterday",
    ],
)
def test_the_queue_filter_renders_the_same_as_with_django_templates(options, query):
    expected, written = both(lambda renderer: queue_filter_form(QueryDict(query), options["bob"], renderer))

    assert written == expected


@pytest.mark.parametrize(
    "data",
    [None, {"assignee": "me", "status": "open", "priority": "40", "merge_into": "#x", "add_tags": HOSTILE}],
)
def test_the_bulk_form_renders_the_same_as_with_django_templates(options, data):
    def make(renderer: DjangoTemplates | None) -> BulkForm:
        form = BulkForm(
            data,
            renderer=renderer,
            agents=User.objects.staff(),
            teams=Team.objects.all(),
            categories=Category.objects.all(),
            tickets=Ticket.objects.all(),
        )
        form.is_valid()
        return form

    expected, written = both(make)

    assert written == expected


@pytest.mark.parametrize("data", [None, {"name": "", "team": "999999"}, {"name": HOSTILE}])
def test_the_save_view_form_renders_the_same_as_with_django_templates(options, data):
    def make(renderer: DjangoTemplates | None) -> SaveViewForm:
        form = SaveViewForm(data, renderer=renderer, teams=Team.objects.filter(members=options["bob"]))
        if data is not None:
            form.is_valid()
        return form

    expected, written = both(make)

    assert written == expected


class Everything(forms.Form):
    """Widgets and attributes the queue's forms do not use today, written the same way all the same."""

    flag = forms.BooleanField(widget=forms.CheckboxInput(attrs={"data-on": True, "data-off": False}), initial=True)
    grouped = forms.ChoiceField(choices=[("Fruit", [("a", "Apple"), ("b", HOSTILE)]), ("c", "Other")])
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], initial=["b"])
    boxes = forms.MultipleChoiceField(
        choices=[("a", HOSTILE), ("b", "B")], widget=forms.CheckboxSelectMultiple(attrs={"class": "boxes"})
    )
    radio = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    hidden = forms.CharField(widget=forms.HiddenInput, initial=HOSTILE)
    number = forms.IntegerField(initial=3, help_text="Help")
    email = forms.EmailField(required=False, label=HOSTILE)
    text = forms.CharField(widget=forms.Textarea, initial=HOSTILE)
    unlabelled = forms.CharField(required=False)

    default_renderer = python_widget_renderer


@pytest.mark.parametrize("data", [None, {"grouped": "z", "boxes": ["a"], "number": "x"}])
def test_other_widgets_render_the_same_or_go_through_the_templates(data):
    def make(renderer: DjangoTemplates | None) -> Everything:
        form = Everything(data, auto_id="id_%s", renderer=renderer)
        if data is not None:
            form.is_valid()
        return form

    expected, written = both(make)

    assert written == expected


def test_a_field_without_an_id_renders_its_label_as_text_the_same_way():
    expected, written = both(lambda renderer: Everything(auto_id=False, renderer=renderer))

    assert written == expected

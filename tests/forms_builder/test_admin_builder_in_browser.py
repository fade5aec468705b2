"""The form builder in a real browser (headless Chromium, tests/support/browser.py): it fits a 1280x800 screen, its
rules follow the field type as it changes, a condition on a field added on the same page is saved in one submit, and
axe-core finds nothing serious or critical on it or on the admin's ticket page."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.select import Select

from accounts.models import User
from forms_builder.models import Condition, Field, Form
from tests.forms_builder.examples import bug_report_form
from tests.support.browser import Browser, violation_summary
from tickets.models import Category, Ticket

# A 5-field form measured 7,147 px tall (and 1,418 px wide) before the builder was compacted, 2,850 px after.
HEIGHT_BOUND = 3000


def change_path(form: Form) -> str:
    return f"/admin/forms_builder/form/{form.pk}/change/"


def rule_shown(browser: Browser, row: int, rule: str) -> bool:
    return browser.find(f"#fields-{row} .fb-control-{rule}").is_displayed()


@pytest.fixture
def signed_in(browser: Browser, carol: User) -> Browser:
    browser.log_in(carol)
    return browser


def test_a_five_field_form_fits_the_width_and_stays_short_at_1280x800(signed_in: Browser, category: Category) -> None:
    form = bug_report_form(category)
    assert form.fields.count() == 5

    signed_in.open(change_path(form))

    height, width = signed_in.page_height(), signed_in.page_width()
    assert height < HEIGHT_BOUND, f"{height} px tall; see {signed_in.screenshot('builder')}"
    assert width <= 1280, f"{width} px wide; see {signed_in.screenshot('builder')}"


def test_the_rules_follow_the_field_type_as_it_changes(signed_in: Browser, category: Category) -> None:
    form = bug_report_form(category)
    signed_in.open(change_path(form))
    version = list(form.fields.values_list("key", flat=True)).index("version")
    assert rule_shown(signed_in, version, "pattern")
    assert not rule_shown(signed_in, version, "choices")

    Select(signed_in.find(f"#id_fields-{version}-type")).select_by_value("select")

    assert rule_shown(signed_in, version, "choices")
    assert not rule_shown(signed_in, version, "pattern")
    assert not rule_shown(signed_in, version, "min_value")

    Select(signed_in.find(f"#id_fields-{version}-type")).select_by_value("integer")

    assert rule_shown(signed_in, version, "min_value")
    assert not rule_shown(signed_in, version, "choices")


def test_a_condition_on_a_field_added_on_the_same_page_is_saved_in_one_submit(
    signed_in: Browser, category: Category
) -> None:
    form = Form.objects.create(name="Bug report", slug="bug-report", category=category, subject_template="{product}")
    product = Field.objects.create(
        form=form, key="product", label="Product", position=10, type="select", choices="desktop\nweb"
    )
    signed_in.open(change_path(form))

    signed_in.press("Version", target="#id_fields-1-label")
    assert signed_in.find("#id_fields-1-key").get_attribute("value") == "version"
    Select(signed_in.find("#id_conditions-0-target")).select_by_value("key:version")
    Select(signed_in.find("#id_conditions-0-source")).select_by_value(str(product.pk))
    Select(signed_in.find("#id_conditions-0-operator")).select_by_value("equals")
    signed_in.press("desktop", target="#id_conditions-0-value")
    signed_in.find('input[name="_continue"]').click()

    signed_in.wait_until(lambda driver: "was changed successfully" in driver.page_source)
    condition = Condition.objects.select_related("target", "source").get(form=form)
    assert (condition.target.key, condition.source, condition.operator, condition.value) == (
        "version",
        product,
        "equals",
        "desktop",
    )


def test_the_key_of_a_new_field_follows_its_label_until_typed(signed_in: Browser, category: Category) -> None:
    form = Form.objects.create(name="Access", slug="access", category=category, subject_template="Access")
    signed_in.open(change_path(form))

    signed_in.press("Cost centre", target="#id_fields-0-label")
    assert signed_in.find("#id_fields-0-key").get_attribute("value") == "cost_centre"
    signed_in.find("#id_fields-0-key").clear()
    signed_in.press("cc", target="#id_fields-0-key")
    signed_in.press(" (finance)", target="#id_fields-0-label")

    assert signed_in.find("#id_fields-0-key").get_attribute("value") == "cc"


@pytest.mark.parametrize("page", ["builder", "new form", "ticket"])
def test_axe_finds_nothing_serious_on_the_builder_and_the_ticket_page(
    signed_in: Browser, category: Category, ticket: Ticket, page: str
) -> None:
    form = bug_report_form(category)
    path = {
        "builder": change_path(form),
        "new form": "/admin/forms_builder/form/add/",
        "ticket": f"/admin/tickets/ticket/{ticket.pk}/change/",
    }[page]

    signed_in.open(path)

    violations = signed_in.axe_violations()
    assert violations == [], violation_summary(violations)


def test_every_condition_control_is_wide_enough_to_read(signed_in: Browser, category: Category) -> None:
    form = bug_report_form(category)
    signed_in.open(change_path(form))

    widths = {
        name: signed_in.find(f"#id_conditions-0-{name}").size["width"]
        for name in ("target", "kind", "source", "operator", "value")
    }

    assert min(widths.values()) >= 100, widths

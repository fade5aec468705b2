"""Number answers: stored as typed (in their shortest form), and one no number can hold is refused beside its input."""

from __future__ import annotations

from forms_builder.models import FieldType
from tests.forms_builder.pages_support import answers, fill_url, simple_form
from tickets.models import Ticket


def test_a_whole_number_too_long_to_read_is_refused_next_to_its_input(alice, category, carol, client_for):
    form = simple_form(category=category, admin=carol, slug="count", name="Count", kind=FieldType.INTEGER)

    response = client_for(alice).post(fill_url(form), answers(question="9" * 5000))

    assert response.status_code == 200
    assert "Enter a whole number." in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_long_decimal_answer_is_stored_digit_for_digit(alice, category, carol, client_for):
    form = simple_form(category=category, admin=carol, slug="amount", name="Amount", kind=FieldType.DECIMAL)

    client_for(alice).post(fill_url(form), answers(question="1234567890123456789012345678901.50"))

    assert Ticket.objects.get().submission.answers == {"question": "1234567890123456789012345678901.5"}

"""A change is a PATCH naming what it changes: no operation replaces a whole object, and a PUT changes nothing, even
where a viewset is routed for it (helpdesk/viewsets.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.db.models import Model
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.api import UserViewSet
from automations.api import RuleViewSet
from automations.models import Rule, Trigger
from automations.services import rule_save
from macros.api import MacroViewSet
from macros.services import macro_create
from queues.api import SavedViewViewSet
from queues.services import saved_view_create
from tests.support.schema import published_schema
from tickets.api import TicketViewSet
from webhooks.api import WebhookEndpointViewSet
from webhooks.services import webhook_endpoint_create

# Each viewset that changes objects, with a way to make one of them and the field a PUT would overwrite.
CHANGEABLE: dict[str, tuple[type, Callable[[SimpleNamespace], Model], str]] = {
    "macro": (MacroViewSet, lambda cast: macro_create(actor=cast.carol, name="Kept", body="Hello"), "name"),
    "view": (SavedViewViewSet, lambda cast: saved_view_create(owner=cast.carol, name="Kept", conditions={}), "name"),
    "rule": (RuleViewSet, lambda cast: rule_save(rule=Rule(name="Kept", trigger=Trigger.TICKET_CREATED)), "name"),
    "webhook": (
        WebhookEndpointViewSet,
        lambda cast: webhook_endpoint_create(url="http://127.0.0.1:9/hook", actor=cast.carol, description="Kept"),
        "description",
    ),
    "user": (UserViewSet, lambda cast: cast.alice, "name"),
    "ticket": (TicketViewSet, lambda cast: cast.ticket, "subject"),
}


def test_the_schema_offers_no_put(db: None) -> None:
    assert [path for path, operations in published_schema()["paths"].items() if "put" in operations] == []


@pytest.mark.parametrize("kind", CHANGEABLE)
def test_a_put_routed_to_a_viewset_is_refused_and_changes_nothing(kind: str, alice, carol, ticket, settings) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    viewset, make, field = CHANGEABLE[kind]
    item = make(SimpleNamespace(alice=alice, carol=carol, ticket=ticket))
    before = getattr(item, field)
    # Routed for PUT, which the router never does: the viewset itself still refuses to replace the object.
    view = viewset.as_view({"put": "update"}, http_method_names=["put"])
    request = APIRequestFactory().put("/", {field: "Replaced"}, format="json")
    force_authenticate(request, carol)

    response = view(request, pk=item.pk).render()

    assert response.status_code == 405
    assert json.loads(response.content)["error"]["code"] == "method_not_allowed"
    item.refresh_from_db()
    assert getattr(item, field) == before

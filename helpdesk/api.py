"""The one DRF router: every /api/v1/ endpoint is listed here."""

from __future__ import annotations

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from accounts import api as accounts_api
from automations import api as automations_api
from forms_builder import api as forms_api
from macros import api as macros_api
from queues import api as queues_api
from reports import api as reports_api
from sla import api as sla_api
from tickets import api as tickets_api
from webhooks import api as webhooks_api


class OptionalSlashRouter(SimpleRouter):
    """`/api/v1/tickets` and `/api/v1/tickets/` both work: integrators should not trip over a slash."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("tickets", tickets_api.TicketViewSet, basename="api-ticket")
router.register(r"tickets/(?P<ticket_pk>\d+)/comments", tickets_api.CommentViewSet, basename="api-ticket-comment")
router.register(r"tickets/(?P<ticket_pk>\d+)/events", tickets_api.TicketEventViewSet, basename="api-ticket-event")
router.register(r"tickets/(?P<ticket_pk>\d+)/links", tickets_api.TicketLinkViewSet, basename="api-ticket-link")
router.register("categories", tickets_api.CategoryViewSet, basename="api-category")
router.register("teams", tickets_api.TeamViewSet, basename="api-team")
router.register("users", accounts_api.UserViewSet, basename="api-user")
router.register("auth/tokens", accounts_api.ApiTokenViewSet, basename="api-auth-token-item")
router.register("forms", forms_api.FormViewSet, basename="api-form")
router.register("automation/rules", automations_api.RuleViewSet, basename="api-automation-rule")
router.register(
    r"automation/rules/(?P<rule_pk>\d+)/runs", automations_api.RuleRunViewSet, basename="api-automation-rule-run"
)
router.register("sla/policies", sla_api.SlaPolicyViewSet, basename="api-sla-policy")
router.register(r"tickets/(?P<ticket_pk>\d+)/sla", sla_api.TicketSlaClockViewSet, basename="api-ticket-sla")
router.register("webhooks", webhooks_api.WebhookEndpointViewSet, basename="api-webhook")
router.register(
    r"webhooks/(?P<webhook_pk>\d+)/deliveries", webhooks_api.WebhookDeliveryViewSet, basename="api-webhook-delivery"
)

router.register("macros", macros_api.MacroViewSet, basename="api-macro")
router.register(
    r"tickets/(?P<ticket_pk>\d+)/apply-macro", macros_api.MacroApplyViewSet, basename="api-ticket-apply-macro"
)
router.register("views", queues_api.SavedViewViewSet, basename="api-view")
router.register(r"views/(?P<view_pk>\d+)/tickets", queues_api.SavedViewTicketViewSet, basename="api-view-ticket")

urlpatterns = [
    re_path(r"^auth/token/?$", accounts_api.token_issue, name="api-auth-token"),
    re_path(r"^auth/me/?$", accounts_api.me, name="api-auth-me"),
    re_path(r"^reports/dashboard/?$", reports_api.reports_dashboard, name="api-reports-dashboard"),
    re_path(
        r"^attachments/(?P<pk>[0-9]+)/download/?$", tickets_api.attachment_download, name="api-attachment-download"
    ),
    *router.urls,
]

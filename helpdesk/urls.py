from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import people
from helpdesk import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("readyz/worker", health.readyz_worker, name="readyz_worker"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("helpdesk.api")),
    path("", include("notifications.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("forms_builder.urls")),
    path("staff/people/", people.people, name="people"),
    path("staff/people/<int:pk>/role/", people.people_role_change, name="people_role_change"),
    path("", include("automations.urls")),
    path("", include("csat.urls")),
    path("", include("tickets.urls")),
    path("", include("inbound.urls")),
]

handler400 = "helpdesk.api_errors.handler400"
handler403 = "helpdesk.api_errors.handler403"
handler404 = "helpdesk.api_errors.handler404"
handler500 = "helpdesk.api_errors.handler500"

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from helpdesk import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("helpdesk.api")),
    path("accounts/", include("accounts.urls")),
    path("", include("tickets.urls")),
]

handler400 = "helpdesk.api_errors.handler400"
handler403 = "helpdesk.api_errors.handler403"
handler404 = "helpdesk.api_errors.handler404"
handler500 = "helpdesk.api_errors.handler500"

from __future__ import annotations

from django.urls import path

from reports import views

urlpatterns = [
    path("staff/reports/", views.reports_dashboard, name="reports_dashboard"),
    path("staff/reports/<slug:table>.csv", views.reports_csv, name="reports_csv"),
]

from __future__ import annotations

from django.urls import path

from automations import views

urlpatterns = [path("staff/away/", views.away, name="agent_away")]

from __future__ import annotations

from django.urls import path

from notifications import views

urlpatterns = [
    path("accounts/notifications/", views.notification_preferences, name="notification_preferences"),
]

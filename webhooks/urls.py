from __future__ import annotations

from django.urls import path

from webhooks import views

urlpatterns = [
    path("staff/webhooks/", views.webhook_list, name="webhook_list"),
    path("staff/webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("staff/webhooks/<int:pk>/rotate-secret/", views.webhook_rotate_secret, name="webhook_rotate_secret"),
    path("staff/webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path(
        "staff/webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]

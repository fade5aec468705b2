from __future__ import annotations

from django.urls import path

from queues import views

urlpatterns = [
    path("staff/export.csv", views.queue_export, name="queue_export"),
    path("staff/bulk/", views.queue_bulk, name="queue_bulk"),
    path("staff/views/", views.saved_views_page, name="saved_views"),
    path("staff/views/new/", views.saved_view_create_page, name="saved_view_create"),
    path("staff/views/<int:pk>/move/", views.saved_view_move_page, name="saved_view_move"),
    path("staff/views/<int:pk>/delete/", views.saved_view_delete_page, name="saved_view_delete"),
]

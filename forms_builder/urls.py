from __future__ import annotations

from django.urls import path

from forms_builder import views

urlpatterns = [
    path("forms/", views.form_list, name="form_list"),
    path("forms/ticket/<str:token>/", views.form_private_ticket, name="form_private_ticket"),
    path("forms/<slug:slug>/", views.form_fill, name="form_fill"),
    path("staff/tickets/<int:pk>/private-link", views.staff_private_link_reissue, name="staff_private_link_reissue"),
]

from __future__ import annotations

from django.urls import path

from macros import views

urlpatterns = [
    path("staff/macros/", views.macro_list, name="macro_list"),
    path("staff/macros/new/", views.macro_new, name="macro_new"),
    path("staff/macros/<int:pk>/", views.macro_edit, name="macro_edit"),
    path("staff/macros/<int:pk>/delete/", views.macro_delete, name="macro_delete"),
]

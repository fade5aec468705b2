from __future__ import annotations

from django.urls import path

from csat import views

urlpatterns = [
    path("satisfaction/<str:token>/rate/<str:rating>/", views.csat_confirm, name="csat_confirm"),
    path("satisfaction/<str:token>/", views.csat_submit, name="csat_submit"),
    path("tickets/<int:pk>/rating/", views.ticket_rate, name="ticket_rate"),
]

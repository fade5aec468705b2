from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    # Someone already signed in who opens the login page goes home instead of signing in twice.
    path("login/", views.login, name="login"),
    # Django 5 accepts only POST here, so a link or an image on another site cannot sign anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    # allauth: login, logout (POST), sign-up, email, password, providers (GitHub, GitLab), two-factor, sessions.
    path("", include("allauth.urls")),
]

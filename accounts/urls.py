from __future__ import annotations

from django.urls import include, path

from accounts.views import sessions, time_zone, tokens

urlpatterns = [
    path("time-zone/", time_zone.time_zone_settings, name="account_time_zone"),
    path("tokens/", tokens.api_tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke", tokens.api_token_revoke, name="api_token_revoke"),
    # Our Sessions page takes allauth's path and name (it ends one session too, not only all the others).
    path("sessions/", sessions.session_list, name="usersessions_list"),
    path("sessions/<int:pk>/end", sessions.session_end, name="usersession_end"),
    path("sessions/end-others", sessions.session_end_others, name="usersessions_end_others"),
    # allauth: login, logout (POST), sign-up, email, password, providers (GitHub, GitLab), two-factor, sessions.
    path("", include("allauth.urls")),
]

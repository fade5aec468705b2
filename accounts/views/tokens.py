"""The API tokens page: everyone creates and revokes their own personal access tokens for the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import ApiTokenCreateForm
from accounts.selectors import api_tokens_of
from accounts.tokens import token_expiry


# never_cache: the answer to a create carries the secret, and no browser or proxy may keep a copy of it.
@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.api_token_issue(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.scopes(),
                expires_at=token_expiry(days=form.lifetime_days()),
            )
        except services.AccountDeactivated as deactivated:  # while this request was on its way
            messages.error(request, f"The token was not created. {deactivated.message}")
            return _render_page(request, {"form": form}, status=403)
        # Rendered here rather than after a redirect, so the secret is never kept in the session or a message.
        context = {"form": ApiTokenCreateForm(), "created": token, "secret": secret}
        return _render_page(request, context, status=201)
    if form.errors:
        messages.error(request, "The token was not created. Please correct the errors below.")
    return _render_page(request, {"form": form})


@require_http_methods(["POST"])
@login_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Another user's token, or one no longer usable, is a 404: whether it exists is not this user's to learn.
    token = get_object_or_404(api_tokens_of(request.user), pk=pk)
    services.api_token_revoke(token=token)
    messages.success(request, f"The token “{token.name}” was revoked. Programs using it can no longer sign in.")
    return redirect("api_tokens")


def _render_page(request: HttpRequest, context: dict[str, object], *, status: int = 200) -> HttpResponse:
    tokens = api_tokens_of(request.user).order_by("-created_at", "-id")
    return render(request, "accounts/api_tokens.html", {"tokens": tokens, **context}, status=status)

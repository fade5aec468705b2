from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.decorators import secure_admin_login
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.admin import SocialTokenAdmin as AllauthSocialTokenAdmin
from allauth.socialaccount.models import SocialApp, SocialToken
from allauth.usersessions.admin import UserSessionAdmin as AllauthUserSessionAdmin
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts import permissions
from accounts.adapters import provider_name, providers_configured_twice
from accounts.forms import AdminSetPasswordForm, AdminUserChangeForm, AdminUserCreationForm, SocialAppAdminForm
from accounts.models import ApiToken, RoleChange, User
from accounts.services import (
    api_token_revoke,
    email_address_save,
    social_app_secret_set,
    user_create,
    user_update,
)
from helpdesk.admin_support import DeletionRefusedMixin, ReadOnlyAdminMixin, ServiceDeletionMixin, adopt_saved
from tickets.services.removal import removal_refusals, removals_lock, user_delete

# Permissions follow from a user's role (accounts.backends.RoleBackend); groups would be a second, unused source.
admin.site.unregister(Group)
# The admin signs in through allauth's login, so rate limits and the second factor apply there too.
admin.site.login = secure_admin_login(admin.site.login)


class OwnAccountChangeForm(AdminUserChangeForm):
    """An admin editing their own account keeps their role and stays active: a self-demotion or a lock-out could
    leave nobody to undo it."""

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        if role != self.initial.get("role"):
            raise forms.ValidationError("You cannot change your own role. Another admin can do it for you.")
        return role

    def clean_is_active(self) -> bool:
        is_active = self.cleaned_data["is_active"]
        if not is_active and self.initial.get("is_active"):
            raise forms.ValidationError("You cannot deactivate your own account. Another admin can do it for you.")
        return is_active


class RoleChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The user's role history, newest first, on their change page. Written only by accounts.services.user_update."""

    model = RoleChange
    fk_name = "user"
    verbose_name_plural = "Role changes"
    fields = ("changed_at", "old_role", "new_role", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoleChange]:
        return super().get_queryset(request).select_related("actor")


@admin.register(User)
class UserAdmin(DeletionRefusedMixin, ServiceDeletionMixin, DjangoUserAdmin):
    deletion_refusals = staticmethod(removal_refusals)
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    change_password_form = AdminSetPasswordForm
    inlines = (RoleChangeInline,)
    list_display = ("email", "name", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("email", "name")
    ordering = ("email",)
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "role", "is_active", "time_zone")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "role", "time_zone", "password1", "password2")}),
    )

    def get_form(self, request: HttpRequest, obj: User | None = None, **kwargs: Any) -> type[forms.ModelForm]:
        if obj is not None and obj.pk == request.user.pk:
            kwargs["form"] = OwnAccountChangeForm
        return super().get_form(request, obj, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Not one's own account, for the reason OwnAccountChangeForm keeps one's role; another admin can do it.
        if obj is not None and obj.pk == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    def lock_selected(self, objs: list[User]) -> None:
        removals_lock(rows=objs)

    def delete_one(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj, actor=request.user)

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list[type[admin.options.InlineModelAdmin]]:
        return list(super().get_inlines(request, obj)) if obj is not None else []  # a new user has no history

    def get_formsets_with_inlines(self, request: HttpRequest, obj: User | None = None) -> Iterator[tuple[Any, Any]]:
        # The role history is view-only: a save has nothing to say about it, so its (empty) formset is neither
        # required in the POST nor validated.
        if request.method == "POST":
            return
        yield from super().get_formsets_with_inlines(request, obj)

    def save_model(self, request: HttpRequest, obj: User, form: AdminUserChangeForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            user_update(
                user=obj,
                actor=request.user,
                email=data["email"],
                name=data["name"],
                role=data["role"],
                is_active=data["is_active"],
                # Only a zone the admin changed: the one the form showed may since have been changed by the user.
                time_zone=data["time_zone"] if "time_zone" in form.changed_data else None,
            )
            return
        created = user_create(
            email=data["email"],
            password=data["password1"],
            name=data["name"],
            role=data["role"],
            # The list starts at the site's default: left there, it is not chosen (the user's page suggests theirs).
            time_zone=data["time_zone"] or None,
        )
        adopt_saved(obj, created)


class ApiTokenStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        if self.value() == "active":
            return queryset.usable()
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=timezone.now())
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Anyone's tokens, looked at and revoked here; they are issued where the secret can be shown once.

    Revoking keeps the row (and when it was last used); there is no bulk delete, so history is not lost by a slip.
    Deleting a user still deletes their tokens.
    """

    list_display = ("name", "user", "prefix", "scopes", "status", "created_at", "expires_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__email")
    list_filter = (ApiTokenStatusFilter, "scopes", "created_at", "expires_at", "last_used_at")
    fields = ("user", "name", "prefix", "scopes", "status", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke_selected"]

    @admin.display(description="status")
    def status(self, token: ApiToken) -> str:
        if token.revoked_at is not None:
            return "revoked"
        return "expired" if token.is_expired else "active"

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token)
        self.message_user(request, f"Revoked {len(tokens)} token{pluralize(len(tokens))}.", messages.SUCCESS)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_users(request.user)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False


@admin.register(RoleChange)
class RoleChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The role audit log: read-only, since an audit trail that can be edited proves nothing."""

    list_display = ("changed_at", "user", "role_transition", "actor")
    list_select_related = ("user", "actor")
    list_filter = ("new_role", "old_role", "changed_at")
    search_fields = ("user__email", "actor__email")
    date_hierarchy = "changed_at"
    fields = ("user", "old_role", "new_role", "actor", "changed_at")
    readonly_fields = fields

    @admin.display(description="Role change", ordering="new_role")
    def role_transition(self, change: RoleChange) -> str:
        return f"{change.get_old_role_display()} → {change.get_new_role_display()}"


# allauth's own SocialApp admin shows and stores the client secret in clear; ours keeps it encrypted.
admin.site.unregister(SocialApp)


@admin.register(SocialApp)
class SocialAppAdmin(admin.ModelAdmin):
    """GitHub and GitLab OAuth applications, for when they are not configured from environment variables."""

    form = SocialAppAdminForm
    list_display = ("name", "provider", "client_id")
    list_filter = ("provider",)
    fieldsets = (
        (None, {"fields": ("provider", "name", "client_id", "client_secret")}),
        ("Sign-in", {"fields": ("base_url", "trust_emails")}),
    )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Apps made before the form refused a second one (or by two admins at once, or an environment variable set
        # after the row) still exist: say which provider's sign-in is off until one of its apps goes.
        for provider in sorted(providers_configured_twice(get_social_adapter(request).list_apps(request))):
            self.message_user(
                request,
                f"{provider_name(provider)} has more than one application (here, or here "
                "and in the environment), so nobody can sign in with it: delete all but one.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: SocialApp, form: SocialAppAdminForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # An empty field on a change keeps the stored secret; one left in clear by an older admin moves over now.
        secret = form.cleaned_data["client_secret"] or obj.secret
        if secret:
            social_app_secret_set(app=obj, secret=secret)


# allauth's token list names each token's application, a nullable key its default select_related() does not follow:
# one query per row.
admin.site.unregister(SocialToken)


@admin.register(SocialToken)
class SocialTokenAdmin(AllauthSocialTokenAdmin):
    list_select_related = ("app", "account__user")


# allauth's address admin marks an address verified with no more than a save: the account's address is then proven
# while whoever chose its password keeps signing in. Ours saves through accounts.services.email_address_save.
admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(AllauthEmailAddressAdmin):
    def save_model(self, request: HttpRequest, obj: EmailAddress, form: forms.ModelForm, change: bool) -> None:
        email_address_save(address=obj)

    @admin.action(description="Mark selected email addresses as verified")
    def make_verified(self, request: HttpRequest, queryset: QuerySet[EmailAddress]) -> None:
        for address in queryset.filter(verified=False).select_related("user"):
            # set_verified(commit=False) refuses an address another account has verified (allauth's UNIQUE_EMAIL).
            if address.set_verified(commit=False):
                email_address_save(address=address)
                self.message_user(request, f"Marked {address.email} as verified.", messages.SUCCESS)
            else:
                self.message_user(request, f"Failed to mark {address.email} as verified.", messages.ERROR)


# allauth's session admin searches `user__username`, which our users have not: every search there was a 500.
admin.site.unregister(UserSession)


@admin.register(UserSession)
class UserSessionAdmin(AllauthUserSessionAdmin):
    search_fields = ["user__email", "user__name", "ip"]

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest

from accounts.forms import AdminSetPasswordForm, AdminUserChangeForm, AdminUserCreationForm
from accounts.models import ApiToken, User
from accounts.services import user_create, user_update
from helpdesk.admin_support import adopt_saved

# Permissions follow from a user's role (accounts.backends.RoleBackend); groups would be a second, unused source.
admin.site.unregister(Group)
# The admin signs in through allauth's login, so rate limits and the second factor apply there too.
admin.site.login = secure_admin_login(admin.site.login)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    change_password_form = AdminSetPasswordForm
    list_display = ("email", "name", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("email", "name")
    ordering = ("email",)
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "role", "is_active")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "role", "password1", "password2")}),)

    def save_model(self, request: HttpRequest, obj: User, form: AdminUserChangeForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            # The email, validated and lower-cased by the form, is already on `obj`; user_update saves the row.
            user_update(user=obj, actor=request.user, name=data["name"], role=data["role"], is_active=data["is_active"])
            return
        created = user_create(email=data["email"], password=data["password1"], name=data["name"], role=data["role"])
        adopt_saved(obj, created)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be looked at and revoked (deleted) here; they are issued where the secret can be shown once."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__email")
    list_filter = ("created_at", "last_used_at")
    fields = ("user", "name", "prefix", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

"""Who may read the reports: admins, and agents when REPORTS_FOR_AGENTS is on."""

from __future__ import annotations

from django.conf import settings

from accounts.models import Role
from accounts.permissions import AnyUser, is_staff_member


def can_view_reports(user: AnyUser) -> bool:
    if not is_staff_member(user):
        return False
    return user.role == Role.ADMIN or bool(settings.REPORTS_FOR_AGENTS)

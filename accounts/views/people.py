"""The People page: admins see everyone, find them by name, email or role, and change roles (audited)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.filters import PeopleFilter
from accounts.forms import PersonRoleForm
from accounts.models import RoleChange, User
from accounts.services import user_update
from helpdesk.decorators import admin_required, staff_required

PEOPLE_PAGE_SIZE = 25
RECENT_ROLE_CHANGES = 10


@require_http_methods(["GET"])
@login_required
@staff_required
@admin_required
def people(request: HttpRequest) -> HttpResponse:
    filterset = PeopleFilter(request.GET, queryset=User.objects.order_by("email"), request=request)
    page = Paginator(filterset.qs, PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    recent_changes = RoleChange.objects.select_related("user", "actor")[:RECENT_ROLE_CHANGES]
    rows = [(person, PersonRoleForm(person=person)) for person in page.object_list]
    context = {"filter": filterset, "page": page, "rows": rows, "recent_changes": recent_changes}
    return render(request, "staff/people.html", context)


@require_http_methods(["POST"])
@login_required
@staff_required
@admin_required
def people_role_change(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    form = PersonRoleForm(request.POST, person=person)
    if person.pk == request.user.pk:
        # An admin who demotes themselves by mistake may leave nobody able to undo it.
        messages.error(request, "You cannot change your own role. Another admin can do it for you.")
    elif not form.is_valid():
        messages.error(request, f"The role of {person.display_name} was not changed: choose one of the roles.")
    elif form.cleaned_data["role"] == person.role:
        messages.info(request, f"{person.display_name} already is {_role_phrase(person)}.")
    else:
        user_update(user=person, actor=request.user, role=form.cleaned_data["role"])
        messages.success(request, f"{person.display_name} is now {_role_phrase(person)}.")
    # Back to the same search, filter and page (the form posts to a URL carrying the page's query string).
    query = request.GET.urlencode()
    return redirect(f"{reverse('people')}?{query}" if query else reverse("people"))


def _role_phrase(user: User) -> str:
    label = user.get_role_display().lower()
    return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"

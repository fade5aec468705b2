"""django-helpdesk's URLs at the site's root, as its documentation mounts them, and a health check for the bench."""

from django.http import HttpResponse
from django.urls import include, path


def healthz(request):
    return HttpResponse("ok")


urlpatterns = [
    path("healthz", healthz),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from helpdesk.availability import RETRY_AFTER_SECONDS
from helpdesk.errors import StorageUnavailable
from tickets.downloads import attachment_response
from tickets.selectors import attachments_visible_to


@require_http_methods(["GET", "HEAD"])
@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse | HttpResponse:
    # 404, never 403, for files the user may not see: whether an id exists is not theirs to learn.
    attachment = get_object_or_404(attachments_visible_to(request.user), pk=pk)
    try:
        return attachment_response(attachment)
    except StorageUnavailable as error:
        response = HttpResponse(render_to_string("503.html", {"message": error.message}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

"""Serving attachments: one response builder for the page view and the API alike."""

from __future__ import annotations

from django.http import FileResponse

from tickets.models import Attachment

INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def attachment_response(attachment: Attachment) -> FileResponse:
    """Plain raster images may show inline; everything else is a download. The browser never sniffs."""
    inline = attachment.content_type in INLINE_IMAGE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response

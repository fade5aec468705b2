"""Serving attachments: one response builder for the page view and the API alike."""

from __future__ import annotations

from django.http import FileResponse, Http404

from tickets.models import Attachment

INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def attachment_response(attachment: Attachment) -> FileResponse:
    """Plain raster images may show inline; everything else is a download. The browser never sniffs."""
    inline = attachment.content_type in INLINE_IMAGE_TYPES
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        # Gone from the disk or the bucket (a restore without it, a lost volume): nothing to serve, not our crash.
        # Both storages say so alike: S3Storage turns the store's 404 into FileNotFoundError.
        raise Http404("The file is no longer stored.") from None
    response = FileResponse(
        stored,
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response

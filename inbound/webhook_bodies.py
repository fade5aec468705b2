"""A provider webhook's body, read under its own limit (INBOUND_WEBHOOK_MAX_BYTES) instead of a page's.

Django caps what it holds in memory at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): `request.body` refuses a larger
Content-Length (Postmark's and SES's JSON), and its multipart parser refuses larger form fields (Mailgun's
`body-mime`, SendGrid's raw `email`), so a mail with a 3 MB attachment was refused with 400, again on every retry.
File parts, meanwhile, were not capped at all. That limit protects every page and is not raised; here the body is
read once, up to INBOUND_WEBHOOK_MAX_BYTES, and anymail's views read it from the request as usual.
"""

from __future__ import annotations

import io
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict

from helpdesk.limits import READ_CHUNK_BYTES, declared_length


def webhook_body_limit() -> int:
    return settings.INBOUND_WEBHOOK_MAX_BYTES


def webhook_body_read(request: HttpRequest) -> bool:
    """Reads the whole body, up to the limit, and holds it for `request.body`, `request.POST` and `request.FILES`.
    False, with nothing held, for a body over the limit: declared up front, or found while reading."""
    limit = webhook_body_limit()
    declared = declared_length(request)
    if declared is not None and declared > limit:
        return False
    body = _read_at_most(request, limit)
    if body is None:
        return False
    _hold_body(request, body)
    request.upload_handlers = [FormDataUploadHandler(request)]
    return True


def _read_at_most(stream: IO[bytes] | HttpRequest, limit: int) -> bytes | None:
    body = bytearray()
    while len(body) <= limit:
        # One byte more than allowed, so that a body over the limit is noticed without reading the rest of it.
        chunk = stream.read(min(READ_CHUNK_BYTES, limit + 1 - len(body)))
        if not chunk:
            return bytes(body)
        body += chunk
    return None


def _hold_body(request: HttpRequest, body: bytes) -> None:
    """Gives the request the body read here, kept as `HttpRequest.body` keeps what it reads itself (`_body`, and a
    stream over it). Django has no public way to read a body under another limit than DATA_UPLOAD_MAX_MEMORY_SIZE:
    `body` checks that limit whenever `_body` is unset. The one private attribute set anywhere here;
    test_a_held_body_is_what_django_reads_as_body_post_and_files fails if a Django release changes this."""
    request._body = body
    request._stream = io.BytesIO(body)


class FormDataUploadHandler(FileUploadHandler):
    """Parses a multipart/form-data post with the standard library's MIME parser (RFC 7578 form data is MIME; anymail
    re-parses SendGrid's posts the same way), through Django's documented hook for taking over the parsing
    (`handle_raw_input` returning POST and FILES). Django's own parser would refuse a field over
    DATA_UPLOAD_MAX_MEMORY_SIZE. The body is already in memory and within INBOUND_WEBHOOK_MAX_BYTES."""

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, Any],
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict]:
        return form_data_parse(
            input_data.read(),
            content_type=META["CONTENT_TYPE"],
            boundary=boundary,
            encoding=encoding or settings.DEFAULT_CHARSET,
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # never called: handle_raw_input has parsed everything

    def file_complete(self, file_size: int) -> None:
        return None


def form_data_parse(
    body: bytes, *, content_type: str, boundary: bytes, encoding: str
) -> tuple[QueryDict, MultiValueDict]:
    """Fields and files as Django's parser gives them: a part with a file name is a file, the rest are fields
    decoded in the request's encoding; parts without a name, or files whose name is empty once cleaned, are left out.
    The part count is bounded first, as Django bounds fields and files, before the parser makes an object of each."""
    _refuse_too_many_parts(body, boundary)
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    form = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not form.is_multipart():
        raise MultiPartParserError("The multipart body holds no parts.")
    fields = QueryDict(mutable=True, encoding=encoding)
    files = MultiValueDict()
    for part in form.iter_parts():
        name = _param(part, "name")
        if not name:
            continue
        content = part.get_payload(decode=True) or b""
        if part.get_param("filename", header="content-disposition") is None:
            fields.appendlist(name, content.decode(encoding, errors="replace"))
        elif file_name := _clean_file_name(_param(part, "filename") or ""):
            files.appendlist(name, _uploaded_file(part, name, file_name, content))
    return fields, files  # fields stay mutable (Django's are not): no private attribute for a nicety


def _refuse_too_many_parts(body: bytes, boundary: bytes) -> None:
    field_limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    file_limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    if field_limit is None or file_limit is None:
        return
    if body.count(b"--" + boundary) > field_limit + file_limit + 1:  # +1: the closing delimiter
        raise TooManyFieldsSent("The multipart body holds more parts than DATA_UPLOAD_MAX_NUMBER_FIELDS and FILES.")


def _param(part: EmailMessage, name: str) -> str | None:
    """A Content-Disposition parameter as text. Browsers and providers send UTF-8 names raw (RFC 7578 §4.2), which
    the MIME parser keeps as surrogate escapes; RFC 2231 encoded names come decoded."""
    value = part.get_param(name, header="content-disposition")
    if value is None:
        return None
    text = collapse_rfc2231_value(value)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _clean_file_name(file_name: str) -> str:
    """As Django's parser cleans an uploaded file's name: its last path segment, printable characters only."""
    base = file_name.rsplit("/")[-1].rsplit("\\")[-1]
    cleaned = "".join(char for char in base if char.isprintable())
    return "" if cleaned in {".", ".."} else cleaned


def _uploaded_file(part: EmailMessage, field_name: str, file_name: str, content: bytes) -> InMemoryUploadedFile:
    return InMemoryUploadedFile(
        file=io.BytesIO(content),
        field_name=field_name,
        name=file_name,
        content_type=part.get_content_type() if "content-type" in part else "application/octet-stream",
        size=len(content),
        charset=part.get_param("charset"),
    )

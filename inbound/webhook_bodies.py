"""A provider webhook's body, read under its own limit (INBOUND_WEBHOOK_MAX_BYTES) instead of a page's.

Django caps what it holds in memory at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): `request.body` refuses a larger
Content-Length (Postmark's and SES's JSON), and its multipart parser refuses larger form fields (Mailgun's
`body-mime`, SendGrid's raw `email`), so a mail with a 3 MB attachment was refused with 400, again on every retry.
File parts, meanwhile, were not capped at all. That limit protects every page and is not raised.

Here a post declaring more than INBOUND_WEBHOOK_MAX_BYTES is refused before any of it is read. Form data is parsed
as it streams in, by `multipart` (the parser Bottle uses), into fields and files as Django's parser gives them,
with large parts spooled to disk. Only a body anymail reads whole (`request.body`: JSON, url-encoded forms, and
SendGrid's view, which reads it before its fields) is read into memory first, up to the limit.
"""

from __future__ import annotations

import base64
import html
import io
import quopri
from collections.abc import Iterator
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.http import parse_header_parameters
from multipart import MultipartError, MultipartParser, MultipartPart, ParserLimitReached

from helpdesk.limits import READ_CHUNK_BYTES, declared_length

FORM_DATA = "multipart/form-data"


def webhook_body_limit() -> int:
    return settings.INBOUND_WEBHOOK_MAX_BYTES


def webhook_body_read(request: HttpRequest, *, view_reads_form_body: bool) -> bool:
    """Makes the body readable under the webhook limit: False, with nothing read, for a body declared over it.
    Form data is left to stream through `FormDataUploadHandler` (Django reads no further than the declared
    Content-Length under WSGI, nor the parser); any other body, or form data whose view reads `request.body`, is
    read whole here and held for `request.body`, `request.POST` and `request.FILES`. False for one found over the
    limit while reading."""
    limit = webhook_body_limit()
    declared = declared_length(request)
    if declared is not None and declared > limit:
        return False
    request.upload_handlers = [FormDataUploadHandler(request)]
    if request.content_type == FORM_DATA and not view_reads_form_body:
        return True
    body = _read_at_most(request, limit)
    if body is None:
        return False
    _hold_body(request, body)
    return True


def _read_at_most(stream: IO[bytes] | HttpRequest, limit: int) -> bytes | None:
    body = io.BytesIO()  # getvalue() hands over its buffer: the body is not copied once read
    while body.tell() <= limit:
        # One byte more than allowed, so that a body over the limit is noticed without reading the rest of it.
        chunk = stream.read(min(READ_CHUNK_BYTES, limit + 1 - body.tell()))
        if not chunk:
            return body.getvalue()
        body.write(chunk)
    return None


def _hold_body(request: HttpRequest, body: bytes) -> None:
    """Gives the request the body read here, kept as `HttpRequest.body` keeps what it reads itself (`_body`, and a
    stream over it). Django has no public way to read a body under another limit than DATA_UPLOAD_MAX_MEMORY_SIZE:
    `body` checks that limit whenever `_body` is unset. The one private attribute set anywhere here;
    test_a_held_body_is_what_django_reads_as_body_post_and_files fails if a Django release changes this."""
    request._body = body
    request._stream = io.BytesIO(body)


class FormDataUploadHandler(FileUploadHandler):
    """Parses a multipart/form-data post with `multipart`'s streaming parser, through Django's documented hook for
    taking over the parsing (`handle_raw_input` returning POST and FILES). Django's own parser would refuse a field
    over DATA_UPLOAD_MAX_MEMORY_SIZE."""

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, Any],
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict]:
        return form_data_parse(
            input_data,
            boundary=boundary,
            content_length=content_length,
            encoding=encoding or settings.DEFAULT_CHARSET,
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # never called: handle_raw_input has parsed everything

    def file_complete(self, file_size: int) -> None:
        return None


def form_data_parse(
    stream: IO[bytes], *, boundary: bytes, content_length: int, encoding: str
) -> tuple[QueryDict, MultiValueDict]:
    """Fields and files as Django's parser gives them: a part with a file name is a file, the rest are fields
    decoded in the request's encoding; parts without a name, or files whose name is empty once cleaned, are left out.
    Each part is its bytes as posted: a part that is itself MIME (an attached message, multipart) is not parsed."""
    fields = QueryDict(mutable=True, encoding=encoding)
    files = MultiValueDict()
    try:
        for part in _form_data_parts(stream, boundary=boundary, content_length=content_length):
            _form_data_add(part, fields, files, encoding)
    except Exception:
        for _, uploads in files.lists():
            for upload in uploads:
                upload.close()
        raise
    return fields, files  # fields stay mutable (Django's are not): no private attribute for a nicety


def held_form_field_bytes(request: HttpRequest, name: str) -> bytes | None:
    """The last field `name` of a form-data body held whole (`webhook_body_read` with `view_reads_form_body`), as
    the bytes posted, or None. `request.POST` decodes a field in the request's charset and replaces what does not
    decode: a mail posted as a field (SendGrid's raw `email`) in 8-bit ISO-8859-1 would lose its letters. Read once
    `request.POST` was: Django has checked the boundary, and the parts are within its limits."""
    boundary = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))[1].get("boundary", "")
    if request.content_type != FORM_DATA or not boundary:
        return None
    body = request.body
    found = None
    for part in _form_data_parts(io.BytesIO(body), boundary=boundary.encode("ascii"), content_length=len(body)):
        params = _disposition_params(part)
        if params.get("name", "").strip() == name and "filename" not in params:
            found = _decoded(part, part.raw)
        part.close()
    return found


def _form_data_parts(stream: IO[bytes], *, boundary: bytes, content_length: int) -> Iterator[MultipartPart]:
    """The parts, split on the boundary Django parsed from Content-Type (the last, if it names several), as many as
    Django would take (DATA_UPLOAD_MAX_NUMBER_FIELDS and FILES). A part larger than FILE_UPLOAD_MAX_MEMORY_SIZE is
    spooled to a temporary file, as Django spools uploads; the body is within the webhook limit, so memory and disk
    are too."""
    limit = webhook_body_limit()
    part_limit = _part_limit()
    parser = MultipartParser(
        stream,
        boundary,
        content_length=content_length,
        charset="latin-1",  # part headers: any byte reads, then UTF-8 in _header_text; fields: the request's
        part_limit=part_limit,
        memfile_limit=settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
        mem_limit=limit,
        disk_limit=limit,
    )
    parsed = 0
    try:
        for part in parser:
            parsed += 1
            yield part
    except ParserLimitReached as error:
        if parsed >= part_limit:  # the one limit a part after the last allowed can reach
            raise TooManyFieldsSent("The multipart body holds more parts than Django allows.") from error
        raise MultiPartParserError(f"The multipart body is over a limit: {error}") from error
    except MultipartError as error:
        raise MultiPartParserError(f"The multipart body is malformed: {error}") from error


def _part_limit() -> float:
    field_limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    file_limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    if field_limit is None or file_limit is None:
        return float("inf")
    return field_limit + file_limit


def _form_data_add(part: MultipartPart, fields: QueryDict, files: MultiValueDict, encoding: str) -> None:
    params = _disposition_params(part)
    name = params.get("name", "").strip()
    if not name:
        part.close()
        return
    if "filename" not in params:
        fields.appendlist(name, _decoded(part, part.raw).decode(encoding, errors="replace"))
        part.close()
    elif file_name := _clean_file_name(params["filename"]):
        files.appendlist(name, _uploaded_file(part, name, file_name))
    else:
        part.close()


def _transfer_encoding(part: MultipartPart) -> str:
    """A part's Content-Transfer-Encoding when it is one to undo (base64, quoted-printable), else "". RFC 7578
    deprecates it in form data, but Django's parser decodes base64, so a client that sends it gets the same bytes."""
    encoding = _header_text(part, "Content-Transfer-Encoding").strip().lower()
    return encoding if encoding in ("base64", "quoted-printable") else ""


def _decoded(part: MultipartPart, content: bytes) -> bytes:
    encoding = _transfer_encoding(part)
    if encoding == "base64":
        return base64.b64decode(content)  # binascii.Error is a ValueError: the view answers 400
    if encoding == "quoted-printable":
        return quopri.decodestring(content)
    return content


def _disposition_params(part: MultipartPart) -> dict[str, str]:
    """Content-Disposition's parameters as Django's parser reads them (RFC 2231 `filename*` included), rather than
    as `multipart` does, which knows `name` and `filename` only."""
    return parse_header_parameters(_header_text(part, "Content-Disposition"))[1]


def _header_text(part: MultipartPart, name: str) -> str:
    """A part header as text. Browsers and providers send UTF-8 names raw (RFC 7578 §4.2); a name in another
    charset keeps its readable characters rather than losing the mail to a 400."""
    value = part.headers.get(name) or ""
    return value.encode("latin-1").decode("utf-8", errors="replace")


def _clean_file_name(file_name: str) -> str:
    """As Django's parser cleans an uploaded file's name: its last path segment, printable characters only."""
    base = html.unescape(file_name).rsplit("/")[-1].rsplit("\\")[-1]
    cleaned = "".join(char for char in base if char.isprintable())
    return "" if cleaned in {".", ".."} else cleaned


def _uploaded_file(part: MultipartPart, field_name: str, file_name: str) -> UploadedFile:
    """The part's file as Django would hand it over: in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, else the temporary
    file it was spooled to (deleted once closed, as Django closes every upload when the request ends)."""
    content_type, params = parse_header_parameters(_header_text(part, "Content-Type") or "application/octet-stream")
    charset = params.get("charset")
    if _transfer_encoding(part):  # rare enough to decode in memory (the body is within the webhook limit)
        content = _decoded(part, part.raw)
        part.close()
        return InMemoryUploadedFile(io.BytesIO(content), field_name, file_name, content_type, len(content), charset)
    if part.is_buffered():
        return InMemoryUploadedFile(part.file, field_name, file_name, content_type, part.size, charset)
    return UploadedFile(part.file, name=file_name, content_type=content_type, size=part.size, charset=charset)

"""Domain errors raised by services. The API maps them to its error body, pages to a message."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, details: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidTransition(DomainError):
    status_code = 409
    code = "invalid_transition"


class TicketClosed(DomainError):
    status_code = 409
    code = "ticket_closed"


class TicketMerged(DomainError):
    """The ticket was merged into another, where its conversation continues: it takes no more messages."""

    status_code = 409
    code = "ticket_merged"


class NothingChanged(DomainError):
    """The ticket already is as the request would leave it, so nothing was done. The doors that expect it say so as
    news, not as a failure (a page's info message, the macro API's 200); any other door answers 409."""

    status_code = 409
    code = "nothing_changed"


class NotPermitted(DomainError):
    status_code = 403
    code = "permission_denied"


class AccountGone(NotPermitted):
    """The account the request acts as was deleted while the request was on its way: nothing was saved."""


class InvalidValue(DomainError):
    status_code = 400
    code = "invalid"


class FileTooLarge(DomainError):
    status_code = 413
    code = "file_too_large"


class StorageUnavailable(DomainError):
    """The file store (the disk, the S3 bucket) did not take or give a file. Nothing was saved: the transaction that
    would have recorded it is rolled back, so the same request may simply be sent again once the store answers."""

    status_code = 503
    code = "service_unavailable"


class PreconditionFailed(DomainError):
    """The ticket changed since the client read it (its `If-Match` no longer matches): nothing was applied."""

    status_code = 412
    code = "precondition_failed"

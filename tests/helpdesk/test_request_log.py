"""One structured log line per request, with a request id that is echoed back and never carries secrets."""

from __future__ import annotations

import json
import logging

import pytest

from helpdesk.observability import RequestIdLogFilter
from tests.conftest import PASSWORD


def request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "helpdesk.request"]


def test_a_request_id_is_generated_and_echoed(client, caplog):
    with caplog.at_level(logging.INFO, logger="helpdesk.request"):
        response = client.get("/healthz")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    (record,) = request_records(caplog)
    assert (record.method, record.path, record.status) == ("GET", "/healthz", 200)
    assert record.duration_ms >= 0 and record.user_id is None


def test_a_sane_incoming_request_id_is_kept(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.42")["X-Request-ID"] == "lb-7f3a.42"


@pytest.mark.parametrize("hostile", ["a b", "x" * 200, "id\nfake log line", "<script>"])
def test_an_unsafe_incoming_request_id_is_replaced(client, hostile):
    assert client.get("/healthz", HTTP_X_REQUEST_ID=hostile)["X-Request-ID"] != hostile


def test_the_log_line_names_the_token_user(api_client_for, bob, caplog):
    with caplog.at_level(logging.INFO, logger="helpdesk.request"):
        api_client_for(bob).get("/api/v1/auth/me")
    assert request_records(caplog)[-1].user_id == bob.pk


def test_errors_carry_the_request_id(api_client_for, bob, monkeypatch, caplog):
    from tickets import selectors

    monkeypatch.setattr(selectors, "ticket_list_rows", lambda user, **options: 1 / 0)
    client = api_client_for(bob)
    client.raise_request_exception = False
    caplog.handler.addFilter(RequestIdLogFilter())
    with caplog.at_level(logging.INFO):
        response = client.get("/api/v1/tickets/", HTTP_X_REQUEST_ID="trace-me")
    assert response.status_code == 500
    error = next(r for r in caplog.records if r.name == "django.request")
    assert error.request_id == "trace-me" and error.exc_info


def test_passwords_and_tokens_never_reach_the_log(api_client_for, alice, caplog):
    with caplog.at_level(logging.DEBUG):
        token = (
            api_client_for(None)
            .post("/api/v1/auth/token", {"email": alice.email, "password": PASSWORD}, format="json")
            .json()["token"]
        )
        api_client_for(None).get("/api/v1/tickets/?secret=abc", HTTP_AUTHORIZATION=f"Bearer {token}")
    logged = caplog.text + json.dumps([vars(r) for r in caplog.records], default=str)
    assert PASSWORD not in logged and token not in logged and "secret=abc" not in logged


def test_the_configured_formatter_writes_one_json_object_per_line():
    from django.conf import settings
    from pythonjsonlogger.json import JsonFormatter

    config = settings.LOGGING["formatters"]["json"]
    formatter = JsonFormatter(config["fmt"], rename_fields=config["rename_fields"])
    record = logging.LogRecord("helpdesk.request", logging.INFO, __file__, 1, "GET / 200", None, None)
    record.request_id, record.status = "abc", 200
    line = json.loads(formatter.format(record))
    assert line["level"] == "INFO" and line["request_id"] == "abc" and line["status"] == 200

"""The documented contract: /api/v1/schema/ is valid OpenAPI 3 covering every route; /api/docs/ shows it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.validation import validate_schema

from tests.support.html import elements

SCHEMA_URL = "/api/v1/schema/"
DOCS_URL = "/api/docs/"
API_PREFIX = "api/v1/"
JSON_SCHEMA = "application/vnd.oai.openapi+json"
ERROR_BODY_REF = "#/components/schemas/ErrorBody"
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def fetch_schema(client: Client) -> dict[str, Any]:
    response = client.get(SCHEMA_URL, HTTP_ACCEPT=JSON_SCHEMA)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    return fetch_schema(client)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (`#/components/...`) to what it names."""
    while "$ref" in node:
        target: Any = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def template_from_regex(regex: str) -> str:
    """`tickets/(?P<ticket_pk>\\d+)/comments/?$` -> `tickets/{ticket_id}/comments/`, as the schema spells paths."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: "{" + match.group(1) + "}", regex)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: "{" + match.group(1) + "}", path)
    path = path.lstrip("^").rstrip("$").replace("/?", "/")
    return path.replace("{pk}", "{id}").replace("_pk}", "_id}")


def api_routes() -> set[tuple[str, str]]:
    """Every (path, method) the URLconf routes under /api/v1/, read from the resolver rather than the schema."""
    routes = set()
    for api in get_resolver().url_patterns:
        if not (isinstance(api, URLResolver) and str(api.pattern) == API_PREFIX):
            continue
        for pattern in api.url_patterns:
            assert isinstance(pattern, URLPattern)
            view = pattern.callback
            if hasattr(view, "actions"):  # a viewset route: the methods it maps, less those the viewset refuses
                allowed = set(getattr(view.cls, "http_method_names", HTTP_METHODS))
                methods = set(view.actions) & allowed & HTTP_METHODS
            else:
                methods = {method.lower() for method in view.cls().allowed_methods} & HTTP_METHODS
            path = "/" + API_PREFIX + template_from_regex(str(pattern.pattern))
            routes |= {(path, method) for method in methods}
    return routes


@pytest.mark.django_db
def test_the_schema_is_a_valid_openapi_3_document(schema):
    validate_schema(schema)  # raises on anything the OpenAPI 3.0 JSON schema refuses
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Helpdesk API"
    assert schema["info"]["version"] == "1.0.0"


@pytest.mark.django_db
def test_every_api_route_is_documented(schema):
    documented = {(path, method) for path, method, _ in operations(schema)}
    routes = api_routes()
    assert len(routes) > 10
    assert routes - documented == set()
    assert documented - routes == set()


@pytest.mark.django_db
def test_schema_paths_are_clean_templates(schema):
    for path in schema["paths"]:
        assert path.startswith("/api/v1/")
        assert not set(path) & set("?^$()\\"), path


@pytest.mark.django_db
def test_every_error_response_has_the_one_error_body(schema):
    for path, method, operation in operations(schema):
        errors = {status: response for status, response in operation["responses"].items() if int(status) >= 400}
        assert {"400", "429"} <= set(errors), (method, path)
        for status, response in errors.items():
            content = resolve(schema, response)["content"]
            assert content["application/json"]["schema"] == {"$ref": ERROR_BODY_REF}, (method, path, status)


@pytest.mark.django_db
def test_every_operation_documents_the_406_an_unsatisfiable_accept_header_gets(schema, api_client_for, alice):
    for path, method, operation in operations(schema):
        a_file_download = path == "/api/v1/attachments/{id}/download/"
        assert ("406" in operation["responses"]) is not a_file_download, (method, path)
    response = api_client_for(alice).get("/api/v1/tickets/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert response.json()["error"]["code"] == "not_acceptable"


@pytest.mark.django_db
def test_authenticated_operations_document_401_and_the_bearer_scheme(schema):
    bearer = schema["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    for path, method, operation in operations(schema):
        if path == "/api/v1/auth/token/":
            assert "security" not in operation
            continue
        assert {"bearerAuth": []} in operation["security"], (method, path)
        assert "401" in operation["responses"], (method, path)


@pytest.mark.django_db
def test_every_response_documents_the_rate_limit_headers(schema):
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            headers = resolve(schema, response)["headers"]
            assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(headers), (method, path, status)
    assert "Retry-After" in resolve(schema, schema["paths"]["/api/v1/tickets/"]["get"]["responses"]["429"])["headers"]


@pytest.mark.django_db
def test_creates_take_their_own_input_and_answer_with_the_resource(schema):
    expected = {
        "/api/v1/tickets/": ("TicketCreateRequest", "TicketDetail"),
        "/api/v1/tickets/{ticket_id}/comments/": ("CommentCreateRequest", "Comment"),
        "/api/v1/users/": ("UserCreateRequest", "User"),
        "/api/v1/auth/token/": ("CredentialsRequest", "IssuedToken"),
    }
    for path, (request_component, response_component) in expected.items():
        operation = schema["paths"][path]["post"]
        request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert request_schema == {"$ref": f"#/components/schemas/{request_component}"}
        response_schema = operation["responses"]["201"]["content"]["application/json"]["schema"]
        assert response_schema == {"$ref": f"#/components/schemas/{response_component}"}
        if path != "/api/v1/auth/token/":
            assert "Idempotency-Key" in {p["name"] for p in operation["parameters"] if p["in"] == "header"}, path
    files = schema["components"]["schemas"]["CommentCreateRequest"]["properties"]["files"]
    assert files == {"type": "array", "items": {"type": "string", "format": "binary"}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/views/",
        "/api/v1/automation/rules/",
        "/api/v1/tickets/{ticket_id}/links/",
        "/api/v1/macros/",
        "/api/v1/webhooks/",
    ],
)
def test_the_creates_that_honour_an_idempotency_key_document_it_and_its_errors(schema, path):
    operation = schema["paths"][path]["post"]
    assert "Idempotency-Key" in {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert {"409", "422"} <= set(operation["responses"])
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]


@pytest.mark.django_db
def test_ticket_patch_takes_if_match_and_answers_with_an_etag(schema):
    ticket = schema["paths"]["/api/v1/tickets/{id}/"]
    assert "If-Match" in {p["name"] for p in ticket["patch"]["parameters"] if p["in"] == "header"}
    assert {"200", "412"} <= set(ticket["patch"]["responses"])
    assert "ETag" in ticket["get"]["responses"]["200"]["headers"]
    assert ticket["patch"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PatchedTicketUpdateRequest"
    }


@pytest.mark.django_db
def test_priority_is_spoken_as_a_name(schema):
    assert schema["components"]["schemas"]["PriorityEnum"]["enum"] == ["low", "normal", "high", "urgent"]


@pytest.mark.django_db
def test_attachment_download_is_a_file_of_any_type(schema):
    ok = schema["paths"]["/api/v1/attachments/{id}/download/"]["get"]["responses"]["200"]
    assert ok["content"] == {"*/*": {"schema": {"type": "string", "format": "binary"}}}


@pytest.mark.django_db
def test_schema_and_docs_are_readable_without_credentials(client):
    assert client.get(SCHEMA_URL).status_code == 200
    assert client.get(DOCS_URL).status_code == 200


@pytest.mark.django_db
def test_a_stale_token_does_not_lock_anyone_out_of_the_docs(client):
    stale = {"HTTP_AUTHORIZATION": "Bearer no-such-token"}
    assert client.get(SCHEMA_URL, **stale).status_code == 200
    assert client.get(DOCS_URL, **stale).status_code == 200


@pytest.mark.django_db
def test_docs_page_loads_swagger_ui_from_this_server_only(client):
    response = client.get(DOCS_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    urls = [attrs.get("src") or attrs.get("href") for tag, attrs in elements(html) if tag in {"script", "link"}]
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in urls
    assert all(url and url.startswith("/") and not url.startswith("//") for url in urls), urls
    # The CSP nonce is random and may spell anything ("…9cdng5…" once failed this check): leave it out.
    assert "cdn" not in re.sub(r'nonce="[^"]*"', "", html).lower()


@pytest.mark.django_db
def test_docs_init_script_is_a_file_pointing_at_the_schema(client):
    # No inline script on the page: the initialiser is its own URL, so a strict CSP can forbid inline scripts.
    html = client.get(DOCS_URL).content.decode()
    assert [tag for tag, attrs in elements(html) if tag == "script" and not attrs.get("src")] == []
    script = client.get(DOCS_URL, {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert SCHEMA_URL in script.content.decode()


def _list_parameters(schema: dict[str, Any], path: str, method: str) -> dict[str, dict[str, Any]]:
    return {parameter["name"]: parameter["schema"] for parameter in schema["paths"][path][method]["parameters"]}


def test_the_schema_bounds_what_the_api_bounds(schema):
    """Id filters are whole numbers from 1, tags at most 20, an Idempotency-Key printable ASCII, not only spaces."""
    assert _list_parameters(schema, "/api/v1/tickets/", "get")["form"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**63 - 1,
    }
    for name in ("TicketCreateRequest", "PatchedTicketUpdateRequest"):
        assert schema["components"]["schemas"][name]["properties"]["tags"]["maxItems"] == 20
    key = _list_parameters(schema, "/api/v1/tickets/", "post")["Idempotency-Key"]
    assert re.search(key["pattern"], "0b5f3c1e-6a0e-4a52-9d8e-2f0c8f1f1f6d")
    assert not any(re.search(key["pattern"], refused) for refused in ("   ", "clé-1", "tab\tkey"))

"""The operations the API publishes, read from its own OpenAPI schema, so a new endpoint is covered automatically."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.test import Client

SCHEMA_URL = "/api/v1/schema/"
WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    parameters: tuple[str, ...]  # query parameter names
    body_fields: tuple[str, ...]  # top-level properties of the JSON request body

    def url(self, **path_values: object) -> str:
        return self.path.format(**path_values)


@cache
def published_schema() -> dict[str, Any]:
    """The OpenAPI document the app serves, read once per process: never change it, copy it."""
    response = Client().get(SCHEMA_URL, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def operations() -> list[Operation]:
    schema = published_schema()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            query = tuple(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
            content = operation.get("requestBody", {}).get("content", {})
            body = _resolve(schema, content["application/json"]["schema"]) if "application/json" in content else {}
            found.append(Operation(method, path, query, tuple(body.get("properties", {}))))
    return found


def cursor_paginated_lists() -> list[Operation]:
    return [op for op in operations() if op.method == "get" and "cursor" in op.parameters]


def writes() -> list[Operation]:
    return [op for op in operations() if op.method in WRITE_METHODS]

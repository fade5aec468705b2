from __future__ import annotations

API = "/api/v1/tickets/"


def found(api_client, q: str, **filters: str) -> list[int]:
    """Ticket ids a search returns through the API, in the order returned."""
    response = api_client.get(API, {"q": q, **filters})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]

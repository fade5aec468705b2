"""What the API's viewsets share: a strict query string on reads of one object, changes by PATCH alone, and the
five operations of a collection clients manage.

The classes here are described in comments, not docstrings: drf-spectacular would take a docstring as the
description of every operation a subclass leaves undescribed."""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.pagination import refuse_query_params_not_read


# Every viewset with a read of one object (`GET /tickets/{id}/`, `GET /forms/{slug}/schema/`) takes this first: such
# a read refuses a query parameter it does not read with a 400 naming it, as every list does (helpdesk/pagination.py),
# so `?fields=id` or `?expand=comments` is never answered as if it had been obeyed. No such read takes a parameter
# but DRF's `format`. Lists check their own (helpdesk/pagination.py); function views call
# `refuse_query_params_not_read` themselves.
class StrictQueryString:
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # a mixin of APIView
        if request.method in ("GET", "HEAD") and getattr(self, "action", None) != "list":
            refuse_query_params_not_read(request)


# A change names only the fields it changes (PATCH, written by the viewset's own `partial_update` through a service).
# PUT is refused with 405: a client sending back a whole object it read earlier would undo what others changed
# meanwhile. Leave "put" out of `http_method_names` as well, so the schema does not offer it.
class PatchOnlyUpdateMixin(mixins.UpdateModelMixin):
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        return self.partial_update(request, *args, **kwargs)


# List, read, create, change (PATCH) and delete: the collections clients keep (macros, views, rules, webhooks).
# Document one with helpdesk.openapi.collection_schema.
class ManagedCollection(
    StrictQueryString,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    PatchOnlyUpdateMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

"""Cursor pagination for every API list: stable under inserts, and no COUNT(*) on each page."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class ById(CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("id",)


class NewestFirst(ById):
    ordering = ("-created_at", "-id")


class OldestFirst(ById):
    ordering = ("created_at", "id")

"""The native dialect's envelopes: `{"data": …}`, and 204 with no body for deletes."""

from __future__ import annotations

from typing import Any

from flask import Response

from models import iso

__all__ = ["created", "iso", "no_content", "ok"]


def ok(data: Any, status: int = 200) -> tuple[dict[str, Any], int]:
    return {"data": data}, status


def created(data: Any) -> tuple[dict[str, Any], int]:
    return ok(data, 201)


def no_content() -> Response:
    return Response(status=204)

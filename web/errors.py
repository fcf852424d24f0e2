"""The one place domain errors, validation failures and HTTP errors become responses.

Each API dialect keeps its own error shape (DESIGN.md, "Errors per dialect"), chosen here by the
request's path: native and /api/ext/v1 `{"error": {"code", "message"}}`, /tasks-api.php
`{"success": false, "error", "code"}` with upper-case codes.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException

from orchestrator.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    NotSupported,
    RateLimited,
    TooLarge,
    Unauthenticated,
    UpstreamError,
)
from web.v1.auth import is_team_path

log = logging.getLogger(__name__)

STATUS = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    RateLimited: 429,
    NotSupported: 501,
    UpstreamError: 502,
}
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


TASKS_API_PATH = "/tasks-api.php"
# /tasks-api.php names these failures by its own codes (seed 003), whatever the cause.
TASKS_API_CODES = {401: "UNAUTHORIZED", 429: "RATE_LIMITED"}


def error_response(status: int, code: str, message: str) -> Response:
    if request.path == TASKS_API_PATH:
        body = {"success": False, "error": message, "code": TASKS_API_CODES.get(status, code.upper())}
    elif is_team_path(request.path):  # seed 004: {"error": "<code>", "message"}
        body = {"error": code, "message": message}
    else:
        body = {"error": {"code": code, "message": message}}
    response = jsonify(body)
    response.status_code = status
    return response


def status_for(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def validation_error_response(error: ValidationError) -> Response:
    """flask-openapi3 calls this when a body, query or path model rejects the request."""
    if _body_is_not_json():
        return error_response(
            400, "invalid_body", "request body must be valid JSON sent as application/json"
        )
    missing = any(item["type"] == "missing" for item in error.errors())
    code = "missing_field" if missing and request.path == TASKS_API_PATH else "validation_error"
    return error_response(400, code, describe_validation_error(error))


def describe_validation_error(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        field = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{field}: {item['msg']}")
    return "; ".join(parts)


def _body_is_not_json() -> bool:
    if request.method in ("GET", "HEAD", "DELETE") or not request.get_data(cache=True):
        return False
    return request.get_json(silent=True) is None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        response = error_response(status_for(error), error.code, error.message)
        if isinstance(error, RateLimited):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(ValidationError)
    def _validation(error: ValidationError) -> Response:  # a body a view parses itself
        return validation_error_response(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        return error_response(status, HTTP_CODES.get(status, "http_error"), error.description or "")

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError) -> Response:
        log.warning("integrity error: %s", error.orig)
        return error_response(409, "conflict", "the change conflicts with existing data")

    @app.errorhandler(DataError)
    def _data(error: DataError) -> Response:
        return error_response(400, "validation_error", "a value cannot be stored as given")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "an unexpected error occurred; see the log")

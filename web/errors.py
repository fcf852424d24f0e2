"""The one place domain errors, validation failures and HTTP errors become responses."""

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
    Unauthenticated,
    UpstreamError,
)

log = logging.getLogger(__name__)

STATUS = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
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


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
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
    return error_response(400, "validation_error", describe_validation_error(error))


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
        return error_response(status_for(error), error.code, error.message)

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

"""Discord's JSON error bodies and codes, as the emulator answers them.

A route raises :class:`ApiError`; the server turns it into ``{"message", "code"[,
"errors"]}`` with its HTTP status. The other bodies here (401, 400 on bad JSON,
429, an injected fault) are answered by the server before a route runs.
"""

from __future__ import annotations

from typing import Any

# "Unknown X" (404) codes by the noun Discord names in the message.
UNKNOWN_CODES: dict[str, int] = {
    "Channel": 10003,
    "Guild": 10004,
    "Member": 10007,
    "Message": 10008,
    "Role": 10011,
    "User": 10013,
    "Emoji": 10014,
    "Webhook": 10015,
    "Ban": 10026,
    "Guild Scheduled Event": 10070,
    "Invite": 10006,
}
INVALID_FORM_BODY = 50035
MISSING_PERMISSIONS = 50013


class ApiError(Exception):
    """An error answer in Discord's shape."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def unknown(what: str) -> ApiError:
    """404 ``Unknown {what}`` with its code (10000 for a noun without one)."""
    return ApiError(404, UNKNOWN_CODES.get(what, 10000), f"Unknown {what}")


def invalid(field_name: str, message: str, code: str = "BASE_TYPE_INVALID") -> ApiError:
    """400 Invalid Form Body (50035) naming ``field_name``."""
    errors = {field_name: {"_errors": [{"code": code, "message": message}]}}
    return ApiError(400, INVALID_FORM_BODY, "Invalid Form Body", errors)


def required(field_name: str) -> ApiError:
    return invalid(field_name, "This field is required", "BASE_TYPE_REQUIRED")


def missing_permissions() -> ApiError:
    return ApiError(403, MISSING_PERMISSIONS, "Missing Permissions")


def unauthorized_body() -> dict[str, Any]:
    return {"message": "401: Unauthorized", "code": 0}


def bad_json_body() -> dict[str, Any]:
    return {"message": "400: Bad Request", "code": 50109}


def route_error_body(status: int, reason: str) -> dict[str, Any]:
    """An unknown route (404) or a method the route does not take (405), as Discord answers."""
    return {"message": f"{status}: {reason}", "code": 0}


def rate_limited_body(retry_after: float) -> dict[str, Any]:
    """A 429's body: discord.py reads ``retry_after`` from it."""
    return {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}


def injected_fault_body(status: int) -> dict[str, Any]:
    return {"message": f"{status}: Injected fault", "code": 0}

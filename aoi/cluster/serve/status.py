"""`metav1.Status` errors, worded as the API server words them so kubectl prints the familiar messages."""

from __future__ import annotations

from typing import Any

from aoi.cluster.interface import ClusterError, ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError

_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
            406: "NotAcceptable", 409: "Conflict", 415: "UnsupportedMediaType", 422: "Invalid",
            500: "InternalError"}


class ApiError(Exception):
    """An API request that fails with an HTTP status and a `Status` body."""

    def __init__(self, code: int, message: str, *, reason: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or _REASONS.get(code, "Unknown")
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def not_found(qualified: str, name: str) -> ApiError:
    """`pods "x" not found` (kubectl: `Error from server (NotFound): pods "x" not found`)."""
    resource, _, group = qualified.partition(".")
    return ApiError(404, f'{qualified} "{name}" not found',
                    details={"name": name, "group": group, "kind": resource})


def conflict(qualified: str, name: str) -> ApiError:
    resource, _, group = qualified.partition(".")
    return ApiError(409, f'Operation cannot be fulfilled on {qualified} "{name}": the object has been modified; '
                         f"please apply your changes to the latest version and try again",
                    details={"name": name, "group": group, "kind": resource})


def from_cluster_error(exc: ClusterError, qualified: str, name: str) -> ApiError:
    """Map an error of the simulator's writer or reader to the status a real API server would send."""
    message = str(exc)
    if isinstance(exc, NotFoundError):
        return ApiError(404, message)
    if isinstance(exc, ConflictError):
        return conflict(qualified, name)
    if isinstance(exc, ForbiddenError):
        return ApiError(403, message.removeprefix("Error from server (Forbidden): "))
    if isinstance(exc, InvalidArgumentError):
        return ApiError(422, f'{qualified} "{name}" is invalid: {message}')
    return ApiError(500, message)


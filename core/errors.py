"""The one application error: a refusal the user sees, with an HTTP status, a code and a Chinese message.

Services raise it; the REST API answers it as ``{"detail": message, "code": code}``
(``core.handlers.api_exception_handler``) and browser pages show the message
(``core.handlers.AppErrorMiddleware``, or a view that turns it into a form error).
"""

from __future__ import annotations

API_PREFIX = "/api/"  # below it the API answers JSON; pages answer HTML


class AppError(Exception):
    def __init__(self, message: str, *, status: int = 400, code: str = "invalid"):
        self.message = message
        self.status = status
        self.code = code
        super().__init__(message)


def invalid(message: str, code: str = "invalid") -> AppError:
    """400: the input cannot be accepted as it is."""
    return AppError(message, status=400, code=code)


def forbidden(message: str = "您没有执行该操作的权限。") -> AppError:
    """403: this person may not do this."""
    return AppError(message, status=403, code="permission_denied")


def not_found(message: str = "未找到。") -> AppError:
    return AppError(message, status=404, code="not_found")


def conflict(message: str, code: str = "illegal_transition") -> AppError:
    """409: the object is not (or no longer) in a state that allows this."""
    return AppError(message, status=409, code=code)


def stale(message: str) -> AppError:
    """412: the write is based on a version that is no longer current."""
    return AppError(message, status=412, code="stale_version")


def version_required(message: str) -> AppError:
    """428: a write must say which version it is based on."""
    return AppError(message, status=428, code="version_required")

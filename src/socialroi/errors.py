"""One error hierarchy for the whole library.

The library raises these; only the CLI turns them into a one-line message and an exit code
(0 ok, 1 user/config/data error, 2 usage, 3 upstream API failure after retries, 4 partial success).
"""

from __future__ import annotations

from datetime import datetime


class SocialROIError(Exception):
    """Base class of every error socialroi raises on purpose."""

    exit_code = 1


class ConfigError(SocialROIError):
    """The configuration is missing, malformed or inconsistent."""


class DataError(SocialROIError):
    """Input data is wrong: names the file, the row (1-based, as a spreadsheet shows it), column."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class StoreError(SocialROIError):
    """The embedded store cannot be opened or written."""


class StoreLocked(StoreError):
    """Another process holds the store and did not release it in time."""


class UpstreamError(SocialROIError):
    """A platform API failed and retries ran out."""

    exit_code = 3


class RateLimited(UpstreamError):
    """A platform said to slow down and the user asked not to wait."""

    def __init__(self, message: str, *, reset_at: datetime | None = None) -> None:
        self.reset_at = reset_at
        super().__init__(message)


class AuthFailed(UpstreamError):
    """A platform refused the credentials (expired, revoked or missing a permission).

    The message names the setting or environment variable to fix, never the secret itself.
    """


class PermissionDenied(UpstreamError):
    """A platform refused a call for a missing permission or scope (not an expired token).

    The message names the permission and where to grant it. A stream that meets one fails; its
    cursor stays before the refused data, so a later pull fetches it once the permission is granted.
    """


class UnknownObject(UpstreamError):
    """A platform says the page, account, property or post asked for does not exist (or is not
    visible to this token): usually a wrong id in the config."""


class PartialSuccess(SocialROIError):
    """Some of the work succeeded and was committed; some did not."""

    exit_code = 4

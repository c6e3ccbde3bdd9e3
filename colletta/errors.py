"""Every error Colletta raises on purpose, as one tree.

    ColettaError                 base; `type` is the stable slug clients switch on
    ├── InvalidInput             a value is malformed or out of bounds          (422)
    ├── Unauthenticated          no token, or a token that is unknown/revoked  (401)
    ├── Forbidden                known caller, not allowed                      (403)
    │   ├── PrivacyRestricted    the other user does not accept this from you (blocked you)
    │   └── YouBlocked           you blocked that user: unblock them first
    ├── NotFound                 missing, or hidden from the caller             (404)
    ├── Conflict                 state forbids it (taken name, already member)  (409)
    ├── Gone                     expired or revoked (invite links)              (410)
    ├── TooLarge                 a body or field over its configured limit      (413)
    ├── TryLater                 refused for now; `retry_after_s` says when
    │   ├── RateLimited          too many attempts                              (429)
    │   │   └── PostingLimited   a channel's or a new account's posts a day are used
    │   └── Outage               the server's own trouble, logged as one line
    │       ├── InsufficientStorage  the disk is full                           (507)
    │       └── Unavailable      a service it needs is down (the database)      (503)
    ├── ResyncRequired           a cursor too old to replay                     (409)
    ├── MediaTooLarge            a TooLarge: over its byte or pixel limit       (413)
    ├── QuotaExceeded            a TooLarge: the uploader's storage quota is used (413)
    ├── MediaMissing             a NotFound: no stored file under that key      (404)
    ├── MediaUndecodable         an InvalidInput: claims a type, won't decode   (422)
    ├── MediaRangeNotSatisfiable an InvalidInput: range outside the file        (416)
    └── WebhookRefused           a webhook whose signature, timestamp or body is wrong (400)

`api/errors.py` maps these to problem+json (RFC 9457) and WebSocket close codes; nothing
below `api` knows about HTTP.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ColettaError(Exception):
    """Base of every deliberate error; `type` is stable, `detail` is for humans."""

    type: ClassVar[str] = "error"
    title: ClassVar[str] = "Error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(ColettaError):
    type = "invalid_input"
    title = "Invalid input"


class Unauthenticated(ColettaError):
    type = "unauthenticated"
    title = "Authentication required"


class Forbidden(ColettaError):
    type = "forbidden"
    title = "Forbidden"


class PrivacyRestricted(Forbidden):
    """Worded as Telegram's USER_PRIVACY_RESTRICTED: it does not say that a block is why."""

    type = "privacy_restricted"
    title = "The user's privacy settings do not allow this"


class YouBlocked(Forbidden):
    type = "you_blocked_user"
    title = "You blocked this user"


class NotFound(ColettaError):
    type = "not_found"
    title = "Not found"


class Conflict(ColettaError):
    type = "conflict"
    title = "Conflict"


class Gone(ColettaError):
    type = "gone"
    title = "Gone"


class TooLarge(ColettaError):
    type = "too_large"
    title = "Payload too large"


class TryLater(ColettaError):
    """Refused for now, not for good: `retry_after_s` says when to try again."""

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class RateLimited(TryLater):
    type = "rate_limited"
    title = "Too many requests"


class PostingLimited(RateLimited):
    """A posting cap of DESIGN.md §1 (per channel, per new account); `scope` says which."""

    type = "posting_limited"
    title = "Posting limit reached"

    def __init__(self, detail: str, retry_after_s: int, *, scope: str, limit: int) -> None:
        super().__init__(detail, retry_after_s)
        self.extra.update(scope=scope, limit=limit)


class Outage(TryLater):
    """Something the server needs failed, not the request; nothing was written. Logged as
    one line, never as a bug."""


class InsufficientStorage(Outage):
    """The server's storage is full; nothing was kept."""

    type = "insufficient_storage"
    title = "Insufficient storage"


class Unavailable(Outage):
    """A dependency (the database) cannot be reached."""

    type = "unavailable"
    title = "Service unavailable"


class ResyncRequired(ColettaError):
    type = "resync_required"
    title = "Cursor too old; fetch the chat afresh"


class MediaTooLarge(TooLarge):
    type = "media_too_large"
    title = "Media file too large"


class QuotaExceeded(TooLarge):
    type = "quota_exceeded"
    title = "Storage quota exceeded"


class MediaMissing(NotFound):
    type = "media_missing"
    title = "Media file not found"


class MediaUndecodable(InvalidInput):
    type = "media_undecodable"
    title = "Media file could not be decoded"


class MediaRangeNotSatisfiable(InvalidInput):
    """`size_bytes` is the whole file's size, for `Content-Range: bytes */size`."""

    type = "range_not_satisfiable"
    title = "Range not satisfiable"

    def __init__(self, detail: str, size_bytes: int) -> None:
        super().__init__(detail, size_bytes=size_bytes)
        self.size_bytes = size_bytes


class WebhookRefused(ColettaError):
    """A provider's webhook that does not verify (signature, timestamp) or cannot be read;
    nothing was done with it."""

    type = "bad_webhook"
    title = "Webhook refused"

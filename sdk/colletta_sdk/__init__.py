"""Colletta SDK: an async HTTP client, media transfers, live events with resume, a message
cache that honours deletions and timers, and the user CLI commands."""

from colletta_sdk import models
from colletta_sdk.cache import CacheChange, MessageCache
from colletta_sdk.client import Client
from colletta_sdk.errors import ApiError, AuthError, ColettaSdkError, ProtocolError
from colletta_sdk.realtime import RealtimeClient
from colletta_sdk.transfer import Download, TransferError

__all__ = [
    "ApiError",
    "AuthError",
    "CacheChange",
    "Client",
    "ColettaSdkError",
    "Download",
    "MessageCache",
    "ProtocolError",
    "RealtimeClient",
    "TransferError",
    "models",
]

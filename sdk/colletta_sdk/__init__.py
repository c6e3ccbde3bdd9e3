"""Colletta SDK: an async HTTP client, live events with resume, and the user CLI commands."""

from colletta_sdk import models
from colletta_sdk.client import Client
from colletta_sdk.errors import ApiError, AuthError, ColettaSdkError, ProtocolError
from colletta_sdk.realtime import RealtimeClient

__all__ = [
    "ApiError",
    "AuthError",
    "Client",
    "ColettaSdkError",
    "ProtocolError",
    "RealtimeClient",
    "models",
]

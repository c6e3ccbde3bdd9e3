"""Colletta SDK: an async HTTP client, media transfers, live events with resume, a message
cache that honours deletions and timers, money pots, and the user CLI commands."""

from colletta_sdk import models, pot_models
from colletta_sdk.cache import CacheChange, MessageCache
from colletta_sdk.client import Client
from colletta_sdk.errors import ApiError, AuthError, ColettaSdkError, ProtocolError
from colletta_sdk.money import AmountError, format_amount, minor_digits, parse_amount
from colletta_sdk.pot_models import (
    Contribution,
    ContributionPage,
    LedgerPage,
    Pot,
    PotItem,
    PotOption,
    Proposal,
    Share,
)
from colletta_sdk.realtime import RealtimeClient
from colletta_sdk.safety import Notice, Statement
from colletta_sdk.transfer import Download, TransferError

__all__ = [
    "AmountError",
    "ApiError",
    "AuthError",
    "CacheChange",
    "Client",
    "ColettaSdkError",
    "Contribution",
    "ContributionPage",
    "Download",
    "LedgerPage",
    "MessageCache",
    "Notice",
    "Pot",
    "PotItem",
    "PotOption",
    "Proposal",
    "ProtocolError",
    "RealtimeClient",
    "Share",
    "Statement",
    "TransferError",
    "format_amount",
    "minor_digits",
    "models",
    "parse_amount",
    "pot_models",
]

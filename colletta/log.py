"""Logging set-up. Messages never carry bodies, passwords or tokens: log ids and counts."""

from __future__ import annotations

import logging

_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# Libraries that write what they carry when their logger is at DEBUG (or INFO), whatever the
# caller asked for; the level named is the most they may log at.
QUIET_LOGGERS: dict[str, int] = {
    # uvicorn hands this logger to the websockets library, which logs every frame at DEBUG:
    # the auth frame's token, message bodies. It also logs request headers there.
    "uvicorn.error": logging.INFO,
    "websockets": logging.INFO,
    # Full URLs, which may carry invite codes.
    "uvicorn.access": logging.WARNING,
    # Every statement with its parameters (migrations and the schema check use aiosqlite).
    "aiosqlite": logging.INFO,
    # Statements and their parameters at INFO.
    "sqlalchemy": logging.WARNING,
    # Pushed pub/sub messages at DEBUG: the bus carries message bodies.
    "redis": logging.INFO,
    # Request and response headers (cookies, authorization) at DEBUG.
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "hpack": logging.WARNING,
}


def setup_logging(level: str) -> None:
    root_level = logging.getLevelName(level.upper())
    logging.basicConfig(level=root_level, format=_FORMAT)
    logging.getLogger().setLevel(root_level)
    for name, most in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(root_level, most))
    logging.getLogger(__name__).debug(
        "logging at %s; these log at most at INFO or WARNING, as they would write tokens or "
        "bodies: %s",
        level,
        ", ".join(QUIET_LOGGERS),
    )


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)

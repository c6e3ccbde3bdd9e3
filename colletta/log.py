"""Logging set-up. Messages never carry bodies, passwords or tokens: log ids and counts."""

from __future__ import annotations

import logging

_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format=_FORMAT)
    # uvicorn's access log prints full URLs, which may carry invite codes; keep it at warnings.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)

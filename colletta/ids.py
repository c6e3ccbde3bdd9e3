"""Identifiers: time-ordered 63-bit ids, and opaque secrets stored only as hashes."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time

_EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z keeps ids small for decades
_lock = threading.Lock()
_last_ms = 0
_seq = 0
# 10 bits of node entropy so processes sharing one database don't collide.
_node = int.from_bytes(os.urandom(2), "big") & 0x3FF


def new_id() -> int:
    """A unique, roughly time-ordered positive int64 (ms << 22 | node << 12 | counter)."""
    global _last_ms, _seq
    with _lock:
        now_ms = int(time.time() * 1000) - _EPOCH_MS
        if now_ms <= _last_ms:
            _seq += 1
            if _seq >= 4096:
                _last_ms += 1
                _seq = 0
            now_ms = _last_ms
        else:
            _last_ms = now_ms
            _seq = 0
        return (now_ms << 22) | (_node << 12) | _seq


def new_token() -> str:
    """A bearer secret for clients; never stored as is."""
    return secrets.token_urlsafe(32)


def new_invite_code() -> str:
    return secrets.token_urlsafe(12)


def hash_token(token: str) -> str:
    """The form a token is stored and looked up in."""
    return hashlib.sha256(token.encode()).hexdigest()

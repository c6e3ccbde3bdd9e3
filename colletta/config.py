"""Settings: environment (`COLLETTA_*`), then an optional TOML file, then defaults.

Each field's description is its documentation; `colletta config-example` prints them as a
commented TOML file, so the example can never drift from the code.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

# What the rate limiter (`limits`) parses: "10/minute", "20 per 2 hours".
# Stripe requires Stripe.js to be loaded from here, never bundled or hosted elsewhere.
STRIPE_JS_URL = "https://js.stripe.com/v3/"
_RATE = re.compile(r"\s*[1-9][0-9]*\s*(/|per)\s*([1-9][0-9]*\s*)?(second|minute|hour|day)s?\s*")


class SettingsError(Exception):
    """Start-up cannot go on; the message names the offending key."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COLLETTA_", extra="forbid")

    host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port the HTTP server listens on.")
    data_dir: Path = Field(
        Path("data"), description="Directory for the SQLite database and media files."
    )
    web_dir: Path | None = Field(
        None,
        description="The built web client to serve at / (default: the one in the package).",
    )
    database_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL of the database. Empty means SQLite at DATA_DIR/colletta.db; "
            "for many nodes use postgresql+asyncpg://user@host/db."
        ),
    )
    bus_url: str = Field(
        "memory://",
        description="Event bus between nodes: memory:// (one process) or redis://host:port/0.",
    )
    outage_retry_after_s: int = Field(
        5,
        ge=1,
        le=3600,
        description=(
            "Retry-After, in seconds, of a 503 (database unreachable) or 507 (disk full) answer."
        ),
    )
    outage_backoff_max_s: float = Field(
        30.0,
        gt=0,
        le=600,
        description=(
            "Longest wait, in seconds, between attempts to reach Redis or to sweep expired "
            "content again while a dependency is down (the wait doubles from 0.5 s)."
        ),
    )
    bus_down_poll_interval_s: float = Field(
        1.0,
        gt=0,
        le=60,
        description=(
            "While Redis is unreachable, seconds between reads of the event log for every "
            "live connection of this node (live delivery without the bus)."
        ),
    )
    workers: int = Field(1, ge=1, le=64, description="Server processes on this node.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Log level; bodies, passwords and tokens are never logged."
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest accepted request body, in bytes."
    )
    behind_tls: bool = Field(
        False,
        description=(
            "Clients reach this server only over HTTPS (a TLS-terminating proxy in front): "
            "send Strict-Transport-Security so browsers never use plain HTTP for it again."
        ),
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL",
        description="SQLite durability: FULL survives power loss, NORMAL only a crash of Colletta.",
    )
    rate_limits_enabled: bool = Field(
        True,
        description=(
            "Turn off only for benchmarks: login/register limits per IP and name, and the "
            "per-user send and reaction rates."
        ),
    )
    login_rate: str = Field(
        "10/minute",
        description="Login attempts allowed per client address (see forwarded_allow_ips).",
    )
    register_rate: str = Field("5/minute", description="Registrations allowed per IP.")
    argon2_time_cost: int = Field(3, ge=1, le=20, description="Argon2id passes per password hash.")
    argon2_memory_kib: int = Field(
        65_536, ge=64, le=4_194_304, description="Argon2id memory per password hash, in KiB."
    )
    argon2_max_concurrent: int = Field(
        2,
        ge=1,
        le=64,
        description=(
            "Password hashes computed at once, each using ARGON2_MEMORY_KIB; more logins "
            "wait their turn instead of growing the server's memory."
        ),
    )
    login_failure_rate: str = Field(
        "5/minute",
        description=(
            "Failed logins allowed per username from one client address; beyond it only "
            "that address is refused (429) for that username. A success resets it."
        ),
    )
    login_user_failure_rate: str = Field(
        "20/hour",
        description=(
            "Failed logins per username from all addresses; beyond it every login for that "
            "username waits LOGIN_SLOWDOWN_S first, but a correct password is never refused."
        ),
    )
    login_slowdown_s: float = Field(
        2.0, ge=0, le=60, description="Wait before a login for a username under attack."
    )
    password_change_rate: str = Field(
        "5/minute", description="Password change attempts allowed per user."
    )
    session_idle_expiry_s: int = Field(
        30 * 86_400,
        ge=600,
        description="A session unused for this many seconds is refused (401) and removed.",
    )
    forwarded_allow_ips: str = Field(
        "",
        description=(
            "Reverse proxies trusted to set X-Forwarded-For, comma-separated addresses or "
            'networks ("*": any). Empty: the client address is the connection\'s.'
        ),
    )
    ws_queue_max: int = Field(
        1000, ge=10, description="Frames buffered per WebSocket before it is closed as too slow."
    )
    ws_ping_interval_s: float = Field(
        20.0, gt=0, description="Seconds between server pings on a WebSocket."
    )
    ws_max_per_user: int = Field(
        20,
        ge=1,
        description=(
            "WebSockets one user may hold open on one server process; the next is closed with 4429."
        ),
    )
    ws_auth_timeout_s: float = Field(
        10.0, gt=0, description="Seconds a new WebSocket has to send its auth frame (else 4401)."
    )
    max_connections: int = Field(
        16_384,
        ge=16,
        description=(
            "Open connections (HTTP and WebSocket) per server process; more are answered "
            "503 and closed at once. Keep it below the process's open-file limit (ulimit -n)."
        ),
    )
    http_max_header_bytes: int = Field(
        32_768,
        ge=1024,
        description="Largest request line plus headers, in bytes; a larger one gets 431.",
    )
    http_header_timeout_s: float = Field(
        10.0,
        gt=0,
        description=(
            "Seconds a client has to send a whole request line and headers once it starts "
            "(or connects); else 408 and the connection is closed."
        ),
    )
    http_body_timeout_s: float = Field(
        30.0,
        gt=0,
        description=(
            "Longest pause, in seconds, while a request body is being received; else 408 "
            "and the connection is closed."
        ),
    )
    http_keep_alive_s: int = Field(
        5, ge=1, description="Seconds an idle keep-alive connection stays open."
    )
    send_rate_per_s: float = Field(
        20.0,
        gt=0,
        description=(
            "Messages one user may send per second, sustained (HTTP and WebSocket together); "
            "over it the answer is 429 / an error frame with retry_after_s."
        ),
    )
    send_burst: int = Field(
        200,
        ge=1,
        description=(
            "Messages one user may send at once before send_rate_per_s applies (bots and "
            "imports send in bursts; a flood is still cut off)."
        ),
    )
    reaction_rate_per_s: float = Field(
        10.0, gt=0, description="Reaction changes one user may make per second, sustained."
    )
    reaction_burst: int = Field(
        100, ge=1, description="Reaction changes one user may make at once."
    )
    channel_new_age_s: int = Field(
        7 * 86_400,
        ge=0,
        description="A channel younger than this many seconds is new: CHANNEL_POSTS_PER_DAY_NEW.",
    )
    channel_posts_per_day_new: int = Field(
        20,
        ge=0,
        description=(
            "Posts a new channel may publish per UTC day, counted on every node (through "
            "Redis when BUS_URL is redis); more get 429 posting_limited. 0: no cap."
        ),
    )
    channel_posts_per_day: int = Field(
        200, ge=0, description="Posts an older channel may publish per UTC day. 0: no cap."
    )
    account_new_age_s: int = Field(
        3 * 86_400,
        ge=0,
        description="An account younger than this many seconds is new: ACCOUNT_POSTS_PER_DAY_NEW.",
    )
    account_posts_per_day_new: int = Field(
        500,
        ge=0,
        description=(
            "Messages a new account may send per UTC day in all its chats together, counted "
            "on every node; more get 429 posting_limited. 0: no cap."
        ),
    )
    read_receipts_max_members: int = Field(
        100,
        ge=0,
        description=(
            "Members see how far the others have read (message ticks) in direct chats and in "
            "groups of at most this many members; never in channels. Bigger groups would "
            "send every member's read to everyone."
        ),
    )
    typing_interval_s: float = Field(
        3.0,
        gt=0,
        description=(
            "At most one typing event per user and chat is passed on in this many seconds; "
            "repeats are dropped."
        ),
    )
    media_dir: Path | None = Field(
        None,
        description=(
            "Directory for media files; empty means DATA_DIR/media. Nodes of one deployment "
            "must share it."
        ),
    )
    hold_dir: Path | None = Field(
        None,
        description=(
            "Restricted directory for media under a legal preservation hold; empty means "
            "DATA_DIR/hold. Never served."
        ),
    )
    preservation_period_s: int = Field(
        183 * 24 * 3600,
        ge=1,
        description=(
            "How long content removed under a removal order (or stopped by a hash match) is "
            "kept in the hold store for the authorities (TCO Art. 6: six months), in seconds; "
            "the operator can extend one item."
        ),
    )
    media_max_bytes: int = Field(
        100 * 1024 * 1024, ge=1024, description="Largest accepted media upload, in bytes."
    )
    media_max_pixels: int = Field(
        40_000_000,
        ge=1,
        description=(
            "Largest image accepted, in pixels (width × height), read from its header before "
            "anything is decoded; larger images are refused with 413."
        ),
    )
    media_image_workers: int = Field(
        2,
        ge=1,
        le=64,
        description=(
            "Images decoded at once (a thread pool of its own). Image memory stays under "
            "MEDIA_IMAGE_WORKERS × MEDIA_MAX_PIXELS × 8 bytes."
        ),
    )
    media_quota_bytes_per_user: int = Field(
        2 * 1024 * 1024 * 1024,
        ge=1024,
        description=(
            "Media bytes one user may have stored (uploads until they expire or are deleted); "
            "an upload past it is refused with 413 quota_exceeded."
        ),
    )
    media_upload_rate: str = Field(
        "30/minute", description="Media uploads allowed per user (429 with Retry-After past it)."
    )
    media_tmp_grace_s: float = Field(
        3600.0,
        gt=0,
        description=(
            "Temporary upload files older than this (left by a crash) are shredded at start-up "
            "and by the periodic sweep; uploads in progress are younger."
        ),
    )
    media_tmp_sweep_interval_s: float = Field(
        600.0, gt=0, description="Seconds between sweeps of leftover temporary upload files."
    )
    expiry_worker_enabled: bool = Field(
        True, description="Purge expired content on this node (turn off only in tests)."
    )
    expiry_sweep_interval_s: float = Field(
        0.5,
        gt=0,
        le=60,
        description=(
            "Seconds between sweeps for expired content scheduled by other nodes; "
            "this node's own timers fire on time."
        ),
    )
    pot_worker_enabled: bool = Field(
        True,
        description="Run pot deadlines, vote windows, refunds and payouts on this node "
        "(turn off only in tests).",
    )
    pot_sweep_interval_s: float = Field(
        5.0,
        gt=0,
        le=300,
        description=(
            "Seconds between sweeps for pot work scheduled by other nodes; "
            "this node's own tasks run on time."
        ),
    )
    pot_task_lease_s: int = Field(
        60,
        ge=5,
        le=3600,
        description=(
            "How long a node holds a pot task it runs: if it dies, another node takes the "
            "task over after this long (with the same idempotency keys)."
        ),
    )
    resync_window_events: int = Field(
        10_000, ge=100, description="How far back (events per chat) a client may resume."
    )

    # Payments (docs/pots.md, "Payment providers"). Secrets are never logged.
    payments_provider: Literal["sandbox", "stripe"] = Field(
        "sandbox",
        description=(
            "Who moves the money of pots: sandbox (moves none: a checkout page on this server "
            "confirms payments, for trying Colletta out) or stripe (needs STRIPE_SECRET_KEY, "
            "STRIPE_WEBHOOK_SECRET and STRIPE_PUBLISHABLE_KEY)."
        ),
    )
    stripe_secret_key: SecretStr = Field(
        SecretStr(""),
        description=(
            "Stripe API secret key: sk_test_… in test mode, sk_live_… (or a restricted key "
            "rk_live_…) to take real money."
        ),
    )
    stripe_webhook_secret: SecretStr = Field(
        SecretStr(""),
        description=(
            "Signing secret (whsec_…) of the Stripe webhook endpoint that points at "
            "/api/v1/payments/webhooks/stripe on this server."
        ),
    )
    stripe_api_base: str = Field(
        "",
        description="Stripe API address; empty means Stripe's own (tests point it at localstripe).",
    )
    stripe_publishable_key: str = Field(
        "",
        description=(
            "Stripe publishable key (pk_test_… or pk_live_…, of the same account as the secret "
            "key): the web client hands it to Stripe.js to take the card. Not a secret."
        ),
    )
    stripe_js_url: str = Field(
        STRIPE_JS_URL,
        description=(
            "Where the web client loads Stripe.js from, only when it takes a card; its origin "
            "is let into the web client's Content-Security-Policy when the provider is stripe. "
            "Stripe requires its own (the default); tests point it at localstripe's fake."
        ),
    )
    sandbox_webhook_secret: SecretStr = Field(
        SecretStr(""),
        description=(
            "Secret the sandbox signs its webhooks and checkout pages with. Empty: a random "
            "one kept in DATA_DIR/sandbox-secret. Nodes of one deployment must share it."
        ),
    )
    sandbox_error_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "Sandbox cruelty: share of payment, refund and payout calls that fail as a "
            "provider outage would (nothing happens; try again)."
        ),
    )
    sandbox_fail_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "Sandbox cruelty: share of confirmed payments, refunds and payouts that end in a "
            "failed webhook instead."
        ),
    )
    sandbox_delay_max_s: float = Field(
        0.0,
        ge=0,
        le=86_400,
        description="Sandbox cruelty: each webhook waits a random 0 to this many seconds.",
    )
    sandbox_duplicate_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Sandbox cruelty: share of webhooks delivered twice.",
    )
    sandbox_reorder: bool = Field(
        False,
        description="Sandbox cruelty: webhooks due together are delivered in random order.",
    )
    sandbox_seed: int = Field(
        0,
        description=(
            "Seed of the sandbox's cruelty: the same seed repeats the same run; 0 means a "
            "different one each start."
        ),
    )
    # Reports, moderation and appeals (docs/trust-and-safety.md).
    report_rate: str = Field("20/hour", description="Reports one user may file (more get 429).")
    suspension_default_s: int = Field(
        7 * 86_400,
        ge=60,
        description="How long a suspension lasts when the moderator gives no duration.",
    )
    suspension_max_s: int = Field(
        365 * 86_400, ge=60, description="The longest suspension a moderator may give."
    )
    complaint_window_s: int = Field(
        183 * 86_400,
        ge=86_400,
        description=(
            "How long after a statement of reasons its user may file a complaint "
            "(DSA Art. 20: at least six months)."
        ),
    )

    # Behavioural screening of pots (docs/trust-and-safety.md, "Behavioural rules").
    behaviour_enabled: bool = Field(
        True, description="Check pots against the FATF crowdfunding red flags."
    )
    behaviour_check_every: int = Field(
        10,
        ge=1,
        le=10_000,
        description=(
            "Check a pot's contributions each time this many more contributors joined, and "
            "each time its total doubles (the payment webhook path stays cheap)."
        ),
    )
    behaviour_window_s: int = Field(
        3600, ge=60, le=7 * 86_400, description="The short window contributions are counted in."
    )
    behaviour_new_account_s: int = Field(
        7 * 86_400, ge=0, description="An account younger than this counts as new."
    )
    behaviour_small_minor: int = Field(
        2000, ge=0, description="A contribution of at most this (minor units) counts as small."
    )
    behaviour_new_donors_min: int = Field(
        20,
        ge=2,
        description="Small contributions from new accounts in one window that raise a flag "
        "(when they are at least 60% of the window's).",
    )
    behaviour_early_payout_s: int = Field(
        86_400, ge=0, description="A payout asked this soon after the first contribution…"
    )
    behaviour_early_payout_min_minor: int = Field(
        50_000, ge=0, description="…from a pot that raised at least this much is a red flag."
    )
    behaviour_spike_factor: float = Field(
        10.0, gt=1, description="A window's inflow this many times the pot's usual rate…"
    )
    behaviour_spike_min_minor: int = Field(
        100_000, ge=0, description="…and at least this much (minor units) is a spike."
    )
    behaviour_payee_chats: int = Field(
        3, ge=2, description="One payee in pots of this many different chats raises a flag."
    )
    behaviour_late_join_s: int = Field(
        7 * 86_400,
        ge=0,
        description="Most members (60%) joined this soon before the pot opened raises a flag…",
    )
    behaviour_late_join_min_members: int = Field(
        30, ge=2, description="…in a chat of at least this many members (a trip's group is not)."
    )

    @field_validator(
        "report_rate",
        "login_rate",
        "register_rate",
        "login_failure_rate",
        "login_user_failure_rate",
        "password_change_rate",
    )
    @classmethod
    def _known_rate(cls, value: str) -> str:
        if not _RATE.fullmatch(value.lower()):
            raise ValueError('must be a rate such as "10/minute" or "20 per 2 hours"')
        return value

    @field_validator("stripe_publishable_key")
    @classmethod
    def _publishable(cls, value: str) -> str:
        # A secret key here would be handed to every browser.
        if value and not re.fullmatch(r"pk_(test|live)_[A-Za-z0-9_]+", value):
            raise ValueError("must be a Stripe publishable key: pk_test_… or pk_live_…")
        return value

    @field_validator("stripe_js_url")
    @classmethod
    def _script_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?/[^\s;,'\"]*", value):
            raise ValueError("must be an http(s) URL such as https://js.stripe.com/v3/")
        return value

    @field_validator("bus_url")
    @classmethod
    def _known_bus(cls, value: str) -> str:
        if not (value.startswith("memory://") or value.startswith("redis://")):
            raise ValueError("must start with memory:// or redis://")
        return value

    @model_validator(mode="after")
    def _stripe_configured(self) -> Settings:
        if self.payments_provider == "stripe":
            for name in ("stripe_secret_key", "stripe_webhook_secret"):
                if not getattr(self, name).get_secret_value():
                    raise ValueError(f"{name}: required when payments_provider is stripe")
            if not self.stripe_publishable_key:
                raise ValueError(
                    "stripe_publishable_key: required when payments_provider is stripe"
                )
        return self

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def resolved_hold_dir(self) -> Path:
        return self.hold_dir or self.data_dir / "hold"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'colletta.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from overrides > environment > TOML file > defaults; errors name the key."""
    path = config_file or (
        Path(os.environ["COLLETTA_CONFIG"]) if "COLLETTA_CONFIG" in os.environ else None
    )
    from_file: dict[str, Any] = {}
    if path is not None:
        try:
            from_file = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"config file {path}: {exc}") from exc
    env_keys = {name for name in Settings.model_fields if f"COLLETTA_{name.upper()}" in os.environ}
    init = {k: v for k, v in from_file.items() if k not in env_keys}
    init.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**init)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '?'}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"bad settings: {problems}") from exc


def config_example() -> str:
    """A commented TOML file of every setting with its default."""
    lines = [
        "# Colletta settings. Every key may also be set as COLLETTA_<KEY> in the environment.",
        "",
    ]
    for name, field in Settings.model_fields.items():
        lines.append(f"# {field.description}")
        default = field.default
        if isinstance(default, bool):
            rendered = "true" if default else "false"
        elif isinstance(default, int | float):
            rendered = str(default)
        else:
            rendered = '"' + str(default).replace('"', '\\"') + '"'
        lines.append(f"# {name} = {rendered}")
        lines.append("")
    return "\n".join(lines)

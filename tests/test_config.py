"""Settings: environment beats file beats defaults; mistakes name the key; the example is true."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from colletta.config import Settings, SettingsError, config_example, load_settings

COLLETTA = str(Path(sys.executable).parent / "colletta")


def _colletta(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COLLETTA, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def test_config_example_documents_every_setting_with_its_default() -> None:
    example = config_example()
    uncommented = "\n".join(
        line.removeprefix("# ") for line in example.splitlines() if " = " in line
    )
    values = tomllib.loads(uncommented)
    assert set(values) == set(Settings.model_fields)
    defaults = Settings()
    for key, value in values.items():
        assert str(getattr(defaults, key)) == str(value) or getattr(defaults, key) == value
    for field in Settings.model_fields.values():
        assert field.description
        assert f"# {field.description}" in example


def test_environment_beats_file_beats_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "colletta.toml"
    config.write_text('port = 9000\nhost = "::1"\nbus_url = "redis://127.0.0.1:6379/0"\n')
    monkeypatch.setenv("COLLETTA_PORT", "9100")
    settings = load_settings(config)
    assert (settings.port, settings.host, settings.bus_url) == (
        9100,
        "::1",
        "redis://127.0.0.1:6379/0",
    )
    assert load_settings(config, port=9200).port == 9200


STRIPE = {
    "COLLETTA_PAYMENTS_PROVIDER": "stripe",
    "COLLETTA_STRIPE_SECRET_KEY": "sk_test_x",
    "COLLETTA_STRIPE_WEBHOOK_SECRET": "whsec_x",
}


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"COLLETTA_PORT": "eighty"}, "port"),
        ({"COLLETTA_BUS_URL": "kafka://x"}, "bus_url"),
        ({"COLLETTA_MAX_BODY_BYTES": "10"}, "max_body_bytes"),
        (STRIPE, "stripe_publishable_key: required"),
        # A secret key where the browser's key goes would be handed to every browser.
        ({**STRIPE, "COLLETTA_STRIPE_PUBLISHABLE_KEY": "sk_test_x"}, "stripe_publishable_key"),
        (
            {
                **STRIPE,
                "COLLETTA_STRIPE_PUBLISHABLE_KEY": "pk_test_x",
                "COLLETTA_STRIPE_JS_URL": "javascript:alert(1)",
            },
            "stripe_js_url",
        ),
        ({"COLLETTA_STRIPE_JS_URL": "https://js.stripe.com/v3/; script-src *"}, "stripe_js_url"),
    ],
)
def test_bad_settings_name_the_key(
    env: dict[str, str], key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=key):
        load_settings()


def test_stripe_needs_its_publishable_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**STRIPE, "COLLETTA_STRIPE_PUBLISHABLE_KEY": "pk_test_abc"}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.stripe_publishable_key == "pk_test_abc"
    assert settings.stripe_js_url == "https://js.stripe.com/v3/"


def test_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "colletta.toml"
    config.write_text("prot = 9000\n")
    with pytest.raises(SettingsError, match="prot"):
        load_settings(config)


def test_serve_stops_at_start_up_naming_the_bad_key(tmp_path: Path) -> None:
    result = _colletta("serve", "--data-dir", str(tmp_path), "--bus-url", "nats://x")
    assert result.returncode == 2
    assert "bus_url" in result.stderr


def test_migrate_then_create_the_one_operator(tmp_path: Path) -> None:
    env = {"COLLETTA_NEW_PASSWORD": "operator password", "PATH": "/usr/bin:/bin"}
    migrate = _colletta("migrate", "--data-dir", str(tmp_path))
    assert migrate.returncode == 0, migrate.stderr
    data_env = {**env, "COLLETTA_DATA_DIR": str(tmp_path), "COLLETTA_ARGON2_MEMORY_KIB": "64"}
    first = _colletta("admin", "create-operator", "root_op", env=data_env)
    assert first.returncode == 0, first.stderr
    assert "created root_op" in first.stdout
    second = _colletta("admin", "create-operator", "other_op", env=data_env)
    assert second.returncode == 1
    assert "operator already exists" in second.stderr
    assert "operator password" not in first.stdout + first.stderr

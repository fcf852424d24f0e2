"""Settings: where they come from, in which order, and the example file that documents them.

Order, lowest first: defaults < TOML file < SWITCHYARD_<SECTION>_<KEY> environment < explicit
overrides (the CLI's flags). The file is --config, else ./switchyard.toml, else the user config
directory's switchyard.toml.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from pydantic import BaseModel

from orchestrator.config import ConfigError, Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "config.example.toml"
# data_dir's default is platform-specific, so the example shows it commented out.
PLATFORM_SPECIFIC = {"data_dir"}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No switchyard.toml from the real current directory or the real user config directory."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def default_values(model: type[BaseModel] = Settings, prefix: str = "") -> dict[str, Any]:
    """Every leaf setting's default, by dotted name, read from the models (no sources involved)."""
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            values.update(default_values(type(default), f"{prefix}{name}."))
        else:
            values[f"{prefix}{name}"] = default
    return values


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"server": {"port": 1}} -> {"server.port": 1}; an empty table (pricing) stays a value."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def dotted(settings: Settings) -> dict[str, Any]:
    """Dotted keys as in default_values(): the pricing table stays one value."""
    values = settings.model_dump()
    pricing = values.pop("pricing")
    return {**flatten(values), "pricing": pricing}


# Defaults ----------------------------------------------------------------------------------------


def test_defaults_without_any_file_or_environment() -> None:
    settings = load_settings()
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 37100
    assert settings.database.url == ""
    assert settings.database_url == f"sqlite:///{settings.data_dir / 'switchyard.db'}"
    assert settings.data_dir == Path(platformdirs.user_data_dir("switchyard"))


# Precedence ------------------------------------------------------------------------------------


def test_toml_file_overrides_defaults(tmp_path: Path) -> None:
    config = write(tmp_path / "sy.toml", 'log_level = "debug"\n[server]\nport = 4000\n[auth]\ntoken_ttl_hours = 2\n')
    settings = load_settings(config)
    assert settings.log_level == "debug"
    assert settings.server.port == 4000
    assert settings.auth.token_ttl_hours == 2
    assert settings.server.host == "127.0.0.1"  # a section in the file keeps its other defaults


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "sy.toml", '[server]\nhost = "localhost"\nport = 4000\n')
    monkeypatch.setenv("SWITCHYARD_SERVER_PORT", "5000")
    settings = load_settings(config)
    assert settings.server.port == 5000
    assert settings.server.host == "localhost"  # the file's other keys of that section still apply


def test_explicit_overrides_beat_environment_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "sy.toml", '[server]\nport = 4000\n')
    monkeypatch.setenv("SWITCHYARD_SERVER_PORT", "5000")
    monkeypatch.setenv("SWITCHYARD_DATA_DIR", str(tmp_path / "from-env"))
    settings = load_settings(config, data_dir=tmp_path / "from-flag", **{"server.port": 6000})
    assert settings.server.port == 6000
    assert settings.data_dir == tmp_path / "from-flag"


def test_unset_overrides_do_not_hide_lower_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI passes None for a flag not given: the environment's value must survive."""
    monkeypatch.setenv("SWITCHYARD_SERVER_PORT", "5000")
    settings = load_settings(None, data_dir=None, **{"server.port": None, "server.host": None})
    assert settings.server.port == 5000


# One row per setting: (environment variable, value, dotted key, expected value).
ENV_CASES = [
    ("SWITCHYARD_DATA_DIR", "/srv/switchyard", "data_dir", Path("/srv/switchyard")),
    ("SWITCHYARD_SECRET_KEY", "k" * 10, "secret_key", "k" * 10),
    ("SWITCHYARD_LOG_LEVEL", "warning", "log_level", "warning"),
    ("SWITCHYARD_SERVER_HOST", "::1", "server.host", "::1"),
    ("SWITCHYARD_SERVER_PORT", "8080", "server.port", 8080),
    ("SWITCHYARD_SERVER_THREADS", "8", "server.threads", 8),
    ("SWITCHYARD_SERVER_GRACEFUL_TIMEOUT", "5", "server.graceful_timeout", 5),
    ("SWITCHYARD_DATABASE_URL", "postgresql+psycopg://u@db/sy", "database.url", "postgresql+psycopg://u@db/sy"),
    ("SWITCHYARD_AUTH_TOKEN_TTL_HOURS", "12", "auth.token_ttl_hours", 12),
    ("SWITCHYARD_EVENTS_RETENTION_DAYS", "30", "events.retention_days", 30),
    ("SWITCHYARD_EVENTS_WS_PING_SECONDS", "5", "events.ws_ping_seconds", 5.0),
    ("SWITCHYARD_EVENTS_WS_SEND_QUEUE", "50", "events.ws_send_queue", 50),
    ("SWITCHYARD_SCHEDULER_ENABLED", "false", "scheduler.enabled", False),
    ("SWITCHYARD_SCHEDULER_TICK_SECONDS", "0.5", "scheduler.tick_seconds", 0.5),
    ("SWITCHYARD_AGENTS_MAX_CONCURRENT_SESSIONS", "2", "agents.max_concurrent_sessions", 2),
    ("SWITCHYARD_AGENTS_MAX_TURNS", "10", "agents.max_turns", 10),
    ("SWITCHYARD_AGENTS_MAX_ATTEMPTS", "1", "agents.max_attempts", 1),
    ("SWITCHYARD_AGENTS_LEASE_SECONDS", "30", "agents.lease_seconds", 30.0),
    ("SWITCHYARD_AGENTS_STALL_TIMEOUT", "60", "agents.stall_timeout", 60.0),
    ("SWITCHYARD_AGENTS_COMMAND_TIMEOUT", "10", "agents.command_timeout", 10.0),
    ("SWITCHYARD_AGENTS_MAX_COMMAND_OUTPUT", "5000", "agents.max_command_output", 5000),
    ("SWITCHYARD_AGENTS_PROVIDER_RETRIES", "0", "agents.provider_retries", 0),
    ("SWITCHYARD_AGENTS_RETRY_BASE_SECONDS", "0.1", "agents.retry_base_seconds", 0.1),
    ("SWITCHYARD_AGENTS_CLAUDE_COMMAND", "npx claude", "agents.claude_command", "npx claude"),
    ("SWITCHYARD_AGENTS_CODEX_COMMAND", "/opt/codex", "agents.codex_command", "/opt/codex"),
    ("SWITCHYARD_AGENTS_WORKTREE_RETENTION_DAYS", "0", "agents.worktree_retention_days", 0),
    ("SWITCHYARD_AGENTS_BACKEND", "celery", "agents.backend", "celery"),
    ("SWITCHYARD_AGENTS_CELERY_BROKER_URL", "redis://127.0.0.1:6379/3", "agents.celery_broker_url",
     "redis://127.0.0.1:6379/3"),
    ("SWITCHYARD_AGENTS_CELERY_QUEUE", "sessions", "agents.celery_queue", "sessions"),
    ("SWITCHYARD_SCRIPTS_MAX_OUTPUT_BYTES", "5000", "scripts.max_output_bytes", 5000),
    ("SWITCHYARD_SCRIPTS_KEEP_RUNS", "3", "scripts.keep_runs", 3),
    ("SWITCHYARD_PROVIDERS_ANTHROPIC_API_KEY", "sk-ant-x", "providers.anthropic_api_key", "sk-ant-x"),
    ("SWITCHYARD_PROVIDERS_OPENAI_API_KEY", "sk-x", "providers.openai_api_key", "sk-x"),
    ("SWITCHYARD_LOGS_MAX_BYTES", "20000", "logs.max_bytes", 20000),
    ("SWITCHYARD_LOGS_BACKUP_COUNT", "2", "logs.backup_count", 2),
    ("SWITCHYARD_LOGS_EXPORT_INTERVAL_SECONDS", "1", "logs.export_interval_seconds", 1.0),
    ("SWITCHYARD_ATTACHMENTS_MAX_BYTES", "1000", "attachments.max_bytes", 1000),
    ("SWITCHYARD_FILESYSTEM_BROWSE_ROOT", "/srv", "filesystem.browse_root", "/srv"),
    ("SWITCHYARD_FILESYSTEM_MAX_READ_BYTES", "100", "filesystem.max_read_bytes", 100),
    ("SWITCHYARD_RATELIMIT_EXT_PER_MINUTE", "5", "ratelimit.ext_per_minute", 5),
    ("SWITCHYARD_RATELIMIT_TASKS_PER_MINUTE", "6", "ratelimit.tasks_per_minute", 6),
    ("SWITCHYARD_RATELIMIT_TEAM_PER_MINUTE", "7", "ratelimit.team_per_minute", 7),
    ("SWITCHYARD_RATELIMIT_TEAM_WRITES_PER_MINUTE", "8", "ratelimit.team_writes_per_minute", 8),
    ("SWITCHYARD_RATELIMIT_TEAM_AUTH_PER_MINUTE", "9", "ratelimit.team_auth_per_minute", 9),
    ("SWITCHYARD_RATELIMIT_STORAGE_URL", "redis://127.0.0.1:6379", "ratelimit.storage_url",
     "redis://127.0.0.1:6379"),
    ("SWITCHYARD_WEBHOOKS_ALLOW_HOSTS", '["localhost"]', "webhooks.allow_hosts", ["localhost"]),
    ("SWITCHYARD_WEBHOOKS_TIMEOUT_SECONDS", "2", "webhooks.timeout_seconds", 2.0),
    ("SWITCHYARD_WEBHOOKS_RETRY_SECONDS", "[1, 2]", "webhooks.retry_seconds", [1.0, 2.0]),
    ("SWITCHYARD_WEBHOOKS_POLL_SECONDS", "0.5", "webhooks.poll_seconds", 0.5),
    ("SWITCHYARD_WEBHOOKS_MAX_CONCURRENCY", "2", "webhooks.max_concurrency", 2),
    ("SWITCHYARD_PRICING", '{"local": {"input": 1, "output": 2}}', "pricing",
     {"local": {"input": 1.0, "output": 2.0, "cache_read": 0.0, "cache_write": 0.0}}),
]


@pytest.mark.parametrize(("variable", "value", "key", "expected"), ENV_CASES)
def test_every_setting_has_an_environment_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, key: str, expected: Any
) -> None:
    monkeypatch.setenv(variable, value)
    if key == "agents.backend":  # the celery backend cannot be chosen without its broker
        monkeypatch.setenv("SWITCHYARD_AGENTS_CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    assert dotted(load_settings())[key] == expected


def test_the_celery_backend_needs_a_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHYARD_AGENTS_BACKEND", "celery")
    with pytest.raises(ConfigError, match="celery_broker_url"):
        load_settings()


def test_vendor_key_variables_are_the_last_resort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ANTHROPIC_API_KEY works alone, but a key in Switchyard's own settings wins over it."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-vendor-variable")
    monkeypatch.setenv("OPENAI_API_KEY", "openai-from-vendor-variable")
    assert load_settings().providers.anthropic_api_key == "from-vendor-variable"

    config = write(tmp_path / "sy.toml", '[providers]\nanthropic_api_key = "from-file"\n')
    from_file = load_settings(config).providers
    assert from_file.anthropic_api_key == "from-file"
    assert from_file.openai_api_key == "openai-from-vendor-variable"

    monkeypatch.setenv("SWITCHYARD_PROVIDERS_ANTHROPIC_API_KEY", "from-switchyard-variable")
    assert load_settings(config).providers.anthropic_api_key == "from-switchyard-variable"


def test_environment_table_covers_every_setting() -> None:
    """Adding a setting means adding its row to ENV_CASES (and to config.example.toml)."""
    assert {key for _, _, key, _ in ENV_CASES} == set(default_values())


# Which file ------------------------------------------------------------------------------------


def test_switchyard_toml_in_current_directory_is_picked_up(_isolated: Path) -> None:
    write(_isolated / "switchyard.toml", "[server]\nport = 4100\n")
    assert load_settings().server.port == 4100


def test_user_config_directory_is_the_last_place_looked() -> None:
    user_file = Path(platformdirs.user_config_dir("switchyard")) / "switchyard.toml"
    write(user_file, "[server]\nport = 4200\n")
    assert load_settings().server.port == 4200


def test_current_directory_file_beats_user_config_directory(_isolated: Path) -> None:
    write(Path(platformdirs.user_config_dir("switchyard")) / "switchyard.toml", "[server]\nport = 4200\n")
    write(_isolated / "switchyard.toml", "[server]\nport = 4100\n")
    assert load_settings().server.port == 4100


def test_explicit_config_beats_current_directory_file(tmp_path: Path, _isolated: Path) -> None:
    write(_isolated / "switchyard.toml", "[server]\nport = 4100\n")
    explicit = write(tmp_path / "elsewhere.toml", "[server]\nport = 4300\n")
    assert load_settings(explicit).server.port == 4300


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


# Validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[server]\nport = "abc"\n', "server.port"),
        ("[server]\nport = 0\n", "server.port"),
        ("[server]\nprot = 1\n", "server.prot"),
        ("colour = 1\n", "colour"),
        ('log_level = "loud"\n', "log_level"),
        ("[scheduler]\ntick_seconds = 0\n", "scheduler.tick_seconds"),
        ('[database]\nurl = "not a url"\n', "database.url"),
    ],
)
def test_bad_file_value_names_the_key(tmp_path: Path, toml: str, key: str) -> None:
    config = write(tmp_path / "sy.toml", toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert f"invalid setting {key}:" in message
    assert "\n" not in message


def test_bad_environment_value_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHYARD_SERVER_PORT", "99999")
    with pytest.raises(ConfigError, match=r"server\.port.*65535"):
        load_settings()


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    config = write(tmp_path / "sy.toml", "[server\nport = 1\n")
    with pytest.raises(ConfigError, match=r"sy\.toml.*line 1"):
        load_settings(config)


# config.example.toml ---------------------------------------------------------------------------


def test_example_config_is_valid_and_loads() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.server.port == 37100


def test_example_config_values_equal_the_defaults() -> None:
    """The example must never drift from the code: each value it sets is the default."""
    example = flatten(tomllib.loads(EXAMPLE.read_text()))
    defaults = default_values()
    for key, value in example.items():
        assert key in defaults, f"config.example.toml sets {key}, which is not a setting"
        assert value == defaults[key], f"config.example.toml: {key} = {value!r}, default is {defaults[key]!r}"


def test_example_config_shows_every_setting() -> None:
    example = flatten(tomllib.loads(EXAMPLE.read_text()))
    missing = set(default_values()) - set(example) - PLATFORM_SPECIFIC
    assert not missing, f"config.example.toml lacks {sorted(missing)}"


def test_example_config_documents_platform_specific_settings_commented_out() -> None:
    text = EXAMPLE.read_text()
    for key in PLATFORM_SPECIFIC:
        assert f"\n# {key} = " in text, f"config.example.toml should show {key}, commented out"
        assert key not in flatten(tomllib.loads(text))


def test_example_config_sections_follow_the_settings_order() -> None:
    """Top-level keys first, then the sections in the order Settings declares them."""
    sections = [name for name, field in Settings.model_fields.items()
                if isinstance(field.get_default(call_default_factory=True), BaseModel | dict)]
    headers = [line.strip("[]") for line in EXAMPLE.read_text().splitlines() if line.startswith("[")]
    assert headers == sections

"""The settings object: the one source of configuration.

Values come, highest first, from explicit overrides (the CLI's flags), `SWITCHYARD_<SECTION>_<KEY>`
environment variables, a TOML file, and the defaults below. Nothing else in the code base reads
the environment for configuration; everything takes a `Settings`.
"""

from __future__ import annotations

import os
import shlex
import tomllib
from pathlib import Path
from typing import Any, ClassVar, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

DEFAULT_PORT = 37100
CONFIG_FILENAME = "switchyard.toml"


class ConfigError(Exception):
    """A configuration problem, reported to a person as one line (the CLI exits with 2)."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(DEFAULT_PORT, ge=1, le=65535)
    threads: int = Field(64, ge=2, le=1024, description="threads of the one gthread worker")
    graceful_timeout: int = Field(30, ge=1, description="seconds SIGTERM waits for requests")


class DatabaseSettings(Section):
    url: str = Field("", description="SQLAlchemy URL; empty means SQLite in the data directory")

    @field_validator("url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        """Reject a malformed URL or unknown driver here, as a setting, not later as a traceback."""
        if value:
            try:
                make_url(value).get_dialect()
            except (ArgumentError, NoSuchModuleError):
                raise ValueError(
                    "not a database URL SQLAlchemy can use (e.g. postgresql+psycopg://user@host/db)"
                ) from None
        return value


class AuthSettings(Section):
    token_ttl_hours: int = Field(24 * 7, ge=1, description="lifetime of a login token")


class EventSettings(Section):
    retention_days: int = Field(7, ge=1, description="how long the outbox keeps events")
    ws_ping_seconds: float = Field(25.0, gt=0, description="WebSocket ping interval; no pong by the next: closed")
    ws_send_queue: int = Field(1000, ge=10, description="frames waiting for a WebSocket client before it is dropped")


class SchedulerSettings(Section):
    enabled: bool = Field(True, description="run the scheduler inside `serve`")
    tick_seconds: float = Field(1.0, gt=0)


class AgentSettings(Section):
    max_concurrent_sessions: int = Field(4, ge=1, le=256, description="sessions running at once")
    max_turns: int = Field(100, ge=1, description="model turns before a session fails with max_turns")
    max_attempts: int = Field(3, ge=1, description="runs of a session after interruptions")
    lease_seconds: float = Field(60, gt=0, description="a worker's claim lasts this long unrenewed")
    stall_timeout: float = Field(900, gt=0, description="seconds without agent activity: interrupted")
    command_timeout: float = Field(120, gt=0, description="default run_command timeout")
    max_command_output: int = Field(30_000, ge=1000, description="bytes of command output kept")
    provider_retries: int = Field(5, ge=0, description="retries of rate limits, 5xx and network errors")
    retry_base_seconds: float = Field(1.0, gt=0, description="first back-off; doubles each retry")
    claude_command: str = Field("claude", description="the Claude Code CLI: a path, or a command with arguments")
    codex_command: str = Field("codex", description="the Codex CLI: a path, or a command with arguments")
    worktree_retention_days: int = Field(7, ge=0, description="days a done or archived card keeps its "
                                         "worktree; 0 keeps it for ever")
    backend: Literal["local", "celery"] = Field("local", description="where sessions run: this process's "
                                                 "thread pool, or Celery workers (`switchyard worker`)")
    celery_broker_url: str = Field("", description="the Celery broker, e.g. redis://127.0.0.1:6379/0")
    celery_queue: str = Field("switchyard", min_length=1, description="the Celery queue sessions go to")

    @model_validator(mode="after")
    def _broker_for_celery(self) -> AgentSettings:
        if self.backend == "celery" and not self.celery_broker_url:
            raise ValueError("backend = \"celery\" needs celery_broker_url (e.g. redis://127.0.0.1:6379/0)")
        return self

    @field_validator("claude_command", "codex_command")
    @classmethod
    def _command_words(cls, value: str) -> str:
        """Split as a shell would (quotes for paths with spaces); checked here, not at a session's start."""
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"not a command line: {exc}") from None
        if not words:
            raise ValueError("must name a command")
        return value


class ScriptSettings(Section):
    max_output_bytes: int = Field(1024 * 1024, ge=1000, description="bytes of a script run's output kept")
    keep_runs: int = Field(20, ge=1, le=1000, description="latest runs kept per script")


class LogSettings(Section):
    max_bytes: int = Field(10 * 1024 * 1024, ge=10_000, description="size of a log file before rotation")
    backup_count: int = Field(5, ge=1, le=100, description="rotated files kept per process")
    export_interval_seconds: float = Field(10.0, gt=0, description="how often new entries are exported")


class AttachmentSettings(Section):
    max_bytes: int = Field(25 * 1024 * 1024, ge=1, description="largest attachment accepted (413 beyond)")


class FilesystemSettings(Section):
    browse_root: str = Field("", description="root of directory browsing; empty means the home directory")
    max_read_bytes: int = Field(1024 * 1024, ge=1, description="largest file /api/filesystem/read returns")


class RateLimitSettings(Section):
    """Requests per minute per API key, in each key dialect; shared through Redis when set."""

    ext_per_minute: int = Field(120, ge=1, description="/api/ext/v1 requests a minute per ak_ key")
    tasks_per_minute: int = Field(60, ge=1, description="/tasks-api.php requests a minute per ak_ key")
    team_per_minute: int = Field(600, ge=1, description="/api/v1 requests a minute per tb_ key (or address) "
                                 "and per workspace")
    team_writes_per_minute: int = Field(60, ge=1, description="/api/v1 writes a minute per workspace and address")
    team_auth_per_minute: int = Field(60, ge=1, description="/api/keys and /api/auth requests a minute per address")
    storage_url: str = Field("", description="limits storage URI (redis://host:6379); empty: in memory")


class WebhookSettings(Section):
    allow_hosts: list[str] = Field(default_factory=list, description="hosts a webhook may reach although "
                                   "they resolve to private, loopback or link-local addresses")
    timeout_seconds: float = Field(10.0, gt=0, description="one delivery attempt's HTTP timeout")
    retry_seconds: list[float] = Field(
        default_factory=lambda: [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
        description="waits between attempts; after the last the event is given up and the webhook "
                    "marked failing")
    poll_seconds: float = Field(1.0, gt=0, description="how often the outbox is read for deliveries")
    max_concurrency: int = Field(4, ge=1, le=64, description="webhooks delivered to at once")

    @field_validator("retry_seconds")
    @classmethod
    def _non_negative(cls, value: list[float]) -> list[float]:
        if any(wait < 0 for wait in value):
            raise ValueError("waits must not be negative")
        return value


class ProviderSettings(Section):
    """The last level of credential resolution (ANTHROPIC_API_KEY / OPENAI_API_KEY also work)."""

    anthropic_api_key: str = ""
    openai_api_key: str = ""


class VendorKeySource(PydanticBaseSettingsSource):
    """The vendors' own variables, read last, so Switchyard's settings always win over them."""

    VARIABLES = {"anthropic_api_key": "ANTHROPIC_API_KEY", "openai_api_key": "OPENAI_API_KEY"}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        keys = {key: os.environ[var] for key, var in self.VARIABLES.items() if os.environ.get(var)}
        return {"providers": keys} if keys else {}


class PriceSettings(Section):
    """US dollars per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float = Field(0.0, ge=0)
    cache_write: float = Field(0.0, ge=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SWITCHYARD_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
    )

    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("switchyard")))
    secret_key: str = Field("", description="master key; empty means <data_dir>/secret.key")
    log_level: str = Field("info", pattern="^(debug|info|warning|error)$")
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()
    events: EventSettings = EventSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    agents: AgentSettings = AgentSettings()
    scripts: ScriptSettings = ScriptSettings()
    providers: ProviderSettings = ProviderSettings()
    logs: LogSettings = LogSettings()
    attachments: AttachmentSettings = AttachmentSettings()
    filesystem: FilesystemSettings = FilesystemSettings()
    ratelimit: RateLimitSettings = RateLimitSettings()
    webhooks: WebhookSettings = WebhookSettings()
    pricing: dict[str, PriceSettings] = Field(default_factory=dict, description="per model name")

    # The TOML path is picked by load_settings(); pydantic-settings reads it through this hook.
    toml_file: ClassVar[Path | None] = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_file))
        sources.append(VendorKeySource(settings_cls))
        return tuple(sources)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'switchyard.db'}"


def find_config_file(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """`--config`, else ./switchyard.toml, else the user config directory's file, else none."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist")
        return explicit
    for candidate in (
        (cwd or Path.cwd()) / CONFIG_FILENAME,
        Path(platformdirs.user_config_dir("switchyard")) / CONFIG_FILENAME,
    ):
        if candidate.is_file():
            return candidate
    return None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings, turning every problem into a ConfigError that names the key."""
    path = find_config_file(config)
    if path is not None:
        _check_toml_syntax(path)
    source = type("_Settings", (Settings,), {"toml_file": path})
    try:
        return source(**_nest(overrides))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    except SettingsError as exc:  # e.g. SWITCHYARD_SERVER=abc: a section given as bad JSON
        raise ConfigError(f"invalid setting: {exc}") from None


def _check_toml_syntax(path: Path) -> None:
    try:
        tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _nest(overrides: dict[str, Any]) -> dict[str, Any]:
    """Turn {"server.port": 1} into {"server": {"port": 1}}, dropping unset (None) values."""
    nested: dict[str, Any] = {}
    for dotted, value in overrides.items():
        if value is None:
            continue
        *sections, key = dotted.split(".")
        target = nested
        for section in sections:
            target = target.setdefault(section, {})
        target[key] = value
    return nested


def _describe(exc: ValidationError, path: Path | None) -> str:
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"]) or "settings"
    where = f" (in {path} or SWITCHYARD_* environment)" if path else " (SWITCHYARD_* environment)"
    value = error.get("input")
    shown = f", got {value!r}" if not isinstance(value, dict) and value is not None else ""
    return f"invalid setting {key}: {error['msg']}{shown}{where}"

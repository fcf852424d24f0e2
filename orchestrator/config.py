"""The settings object: the one source of configuration.

Values come, highest first, from explicit overrides (the CLI's flags), `SWITCHYARD_<SECTION>_<KEY>`
environment variables, a TOML file, and the defaults below. Nothing else in the code base reads
the environment for configuration; everything takes a `Settings`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, ClassVar

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
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
    threads: int = Field(32, ge=2, le=1024, description="threads of the one gthread worker")
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
    providers: ProviderSettings = ProviderSettings()
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

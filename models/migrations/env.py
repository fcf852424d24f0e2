"""Alembic environment: the URL comes from the caller's Config, never from the environment."""

from alembic import context

from models import Base, make_engine

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `switchyard db upgrade`")
run_migrations_online()

"""Alembic environment: runs against the engine handed over by ``init_db``."""

from alembic import context
from sqlmodel import SQLModel

import automl_canvas.models  # noqa: F401  (registers every table on the metadata)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # `alembic` command line: build from the product settings
        from automl_canvas.config import Settings
        from automl_canvas.db import make_engine

        engine = make_engine(Settings())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

"""Alembic's entry point: the register's opener passes its connection in, so no configuration file is read."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection)
with context.begin_transaction():
    context.run_migrations()

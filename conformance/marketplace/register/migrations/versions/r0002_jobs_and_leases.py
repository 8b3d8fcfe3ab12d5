"""Queued re-validation: each run remembers the job that made it (a redelivered job records nothing twice), and
a lease per supplier origin keeps runs on one origin one at a time across machines."""

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None

TIME = 32


def upgrade() -> None:
    op.add_column("runs", sa.Column("job_id", sa.String(64)))
    # A unique index, not a constraint: SQLite adds it without rebuilding the table; NULLs (local runs) repeat.
    op.create_index("runs_by_job", "runs", ["job_id"], unique=True)
    op.create_table(
        "leases",
        sa.Column("origin", sa.String(300), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.String(TIME), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_index("runs_by_job", "runs")
    op.drop_column("runs", "job_id")

"""The first register: settings, products, runs, status transitions and issued certificates."""

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None

TIME = 32  # RFC 3339 UTC, as conformance.timestamps writes it: sorts as text on every database


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.create_table(
        "products",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("supplier", sa.String(500), nullable=False),
        sa.Column("product", sa.String(500), nullable=False),
        sa.Column("version", sa.String(500), nullable=False),
        sa.Column("contact", sa.String(500), nullable=False),
        sa.Column("spec", sa.Text),
        sa.Column("image", sa.Text),
        sa.Column("base_url", sa.Text),
        sa.Column("ca_bundle", sa.Text),
        sa.Column("profiles", sa.JSON, nullable=False),
        sa.Column("credentials", sa.JSON, nullable=False),
        sa.Column("interval_days", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_since", sa.String(TIME), nullable=False),
        sa.Column("status_cause", sa.Text, nullable=False),
        sa.Column("next_due", sa.String(TIME), nullable=False),
        sa.Column("added_at", sa.String(TIME), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("product_key", sa.String(80), sa.ForeignKey("products.key", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.String(TIME), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("report_dir", sa.Text),
        sa.Column("report_sha256", sa.String(64)),
        sa.Column("record", sa.Text),
        sa.Column("problem", sa.Text, nullable=False),
    )
    op.create_index("runs_by_product", "runs", ["product_key", "id"])
    op.create_table(
        "transitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("product_key", sa.String(80), sa.ForeignKey("products.key", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.String(TIME), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
    )
    op.create_table(
        "certificates",
        sa.Column("certificate_id", sa.String(36), primary_key=True),
        sa.Column("product_key", sa.String(80), sa.ForeignKey("products.key", ondelete="CASCADE"), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
        sa.Column("issued_at", sa.String(TIME), nullable=False),
        sa.Column("expires_at", sa.String(TIME), nullable=False),
        sa.Column("revoked_at", sa.String(TIME)),
        sa.Column("revocation_reason", sa.Text),
    )


def downgrade() -> None:
    for table in ("certificates", "transitions", "runs", "products", "settings"):
        op.drop_table(table)

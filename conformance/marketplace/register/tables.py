"""The register's tables as the code queries them; migrations/versions creates them (keep the two in step)."""

import sqlalchemy as sa

TIME = 32
metadata = sa.MetaData()

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

products = sa.Table(
    "products",
    metadata,
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

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("product_key", sa.String(80), sa.ForeignKey("products.key", ondelete="CASCADE"), nullable=False),
    sa.Column("at", sa.String(TIME), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("report_dir", sa.Text),
    sa.Column("report_sha256", sa.String(64)),
    sa.Column("record", sa.Text),
    sa.Column("problem", sa.Text, nullable=False),
    sa.Column("job_id", sa.String(64), unique=True),  # the queued job that made it (None: a local run)
)

transitions = sa.Table(
    "transitions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("product_key", sa.String(80), sa.ForeignKey("products.key", ondelete="CASCADE"), nullable=False),
    sa.Column("at", sa.String(TIME), nullable=False),
    sa.Column("from_status", sa.String(16), nullable=False),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("cause", sa.Text, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
)

certificates = sa.Table(
    "certificates",
    metadata,
    sa.Column("certificate_id", sa.String(36), primary_key=True),
    sa.Column("product_key", sa.String(80), sa.ForeignKey("products.key", ondelete="CASCADE"), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
    sa.Column("issued_at", sa.String(TIME), nullable=False),
    sa.Column("expires_at", sa.String(TIME), nullable=False),
    sa.Column("revoked_at", sa.String(TIME)),
    sa.Column("revocation_reason", sa.Text),
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("origin", sa.String(300), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.String(TIME), nullable=False),
)

"""The marketplace's register of listed products: a database (SQLAlchemy 2, Alembic migrations), what each
re-validation found, and what followed from it (listed, failing, suspended). Nothing here runs a conformance
run: conformance.revalidation does, and hands its record back here."""

"""Alembic's migrations of the register, shipped inside the package and run when a register is opened."""

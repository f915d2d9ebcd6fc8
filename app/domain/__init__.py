"""Pure domain values and maths: no I/O, no SQLAlchemy, no Qt."""

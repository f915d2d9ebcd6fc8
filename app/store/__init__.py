"""Local SQLite store: SQLAlchemy models, Alembic migrations, queries. No Qt here."""

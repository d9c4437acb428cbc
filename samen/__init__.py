"""The `samen` command: run the whole system, migrate, provision, import data."""

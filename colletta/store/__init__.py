"""Persistence with SQLAlchemy Core; every function takes `conn` first."""

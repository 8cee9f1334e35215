"""Webhook receiver: a Starlette app that only stores Flintt's events in a durable SQLite inbox."""

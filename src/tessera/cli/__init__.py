"""The ``tessera`` command: serve, migrate, demo, keys, sites, programs, rewards, customers,
transactions, webhooks.

``command.app`` is the application; each module below registers its commands, or its group
of commands, on it when imported (``keys.py``: ``app.add_typer(keys_app, name="keys")``). A new
group is one more module and one more name in this import.
"""

from tessera.cli import (  # noqa: F401 (each registers its commands)
    customers,
    demo,
    keys,
    programs,
    rewards,
    serve,
    sites,
    transactions,
    webhooks,
)
from tessera.cli.command import app


def main() -> None:
    app()


__all__ = ["app", "main"]

"""structlog set-up: one JSON object per line on stdout, filtered by TESSERA_LOG_LEVEL; a line
written while a request is handled carries its ``request_id``."""

from __future__ import annotations

import logging

import structlog
from structlog.typing import EventDict, WrappedLogger

from tessera.observability import current_request_id

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def add_request_id(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    request_id = current_request_id()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def configure_logging(level: str = "info") -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_request_id,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        cache_logger_on_first_use=True,
    )

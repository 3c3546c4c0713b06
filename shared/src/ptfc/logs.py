"""JSON logs that carry the `correlation_id` and `event_id` of the work in hand."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO

_context: ContextVar[dict[str, str] | None] = ContextVar("ptfc_log_context", default=None)


@contextmanager
def bind(**fields: str) -> Iterator[None]:
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            **(_context.get() or {}),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class NoQueryStrings(logging.Filter):
    """Access lines keep the path, never the query: the links in parents' letters carry
    single-use tokens there, and whoever reads a token can act as the parent."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's access record: (client, method, path with query, HTTP version, status)
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = str(args[2]).split("?", 1)[0]
            record.args = tuple(args)
        return True


class QuietBroker(logging.Filter):
    """FastStream's supervisor logs each restart of a pull loop at ERROR with a traceback. An empty
    fetch is not an error: nats-py raises a bare `asyncio.TimeoutError` when a pull request expires
    with no message, which FastStream's loop catches only as `nats.errors.TimeoutError`, so the loop
    ends and is restarted. That case is logged at DEBUG; its bookkeeping lines too."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        empty_fetch = type(error) is TimeoutError and "fetch" in "".join(_frames(error))
        if empty_fetch or record.getMessage().startswith("callback for "):
            record.levelno, record.levelname, record.exc_info = logging.DEBUG, "DEBUG", None
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


def _frames(error: BaseException) -> list[str]:
    names, tb = [], error.__traceback__
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return names


BROKER_LOG = logging.getLogger("ptfc.broker")
BROKER_LOG.addFilter(QuietBroker())


def configure(service: str, level: str = "INFO", stream: IO[str] | None = None) -> None:
    handler = logging.StreamHandler(stream)  # standard error unless told otherwise
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(NoQueryStrings())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

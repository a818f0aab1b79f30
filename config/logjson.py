"""Log formatters: one JSON object per line in production (LOG_FORMAT=json), plain text in the demo and the
tests. Both add what the line is about (core.logcontext: request id, task, tenant, store, import run). The
handlers keep their filters (config.logmask masks webhook tokens before either formatter sees the line)."""

from __future__ import annotations

import datetime as dt
import json
import logging

from core import logcontext


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", …context, "exception"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **logcontext.current(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The message as before, then what it is about when anything is: `message [request_id=… store_id=…]`."""

    def __init__(self):
        super().__init__("%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = logcontext.current()
        if context:
            text += " [" + " ".join(f"{k}={v}" for k, v in context.items()) + "]"
        return text

"""Log lines as one JSON object each (LOG_FORMAT=json), for log collectors that index fields.

Every line has `time` (ISO 8601, UTC, milliseconds), `level`, `logger` and `message`; a logged
exception adds `exception` (the traceback as text). The text format (the default) carries the same
three fields first: `2026-01-09 08:50:00,123 INFO publishing.days.pipeline: …`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # One line per record whatever the message holds: json.dumps escapes its newlines.
        return json.dumps(line, ensure_ascii=False, default=str)

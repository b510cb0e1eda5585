"""Structured JSON log lines for the Lambda handler, with the pre-signed URL kept out.

A ResponseURL is a credential (a pre-signed S3 URL): anything that looks like a URL with a
query string has the query replaced before it is written, whatever the message.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from typing import Any, TextIO

URL_QUERY = re.compile(r"(https?://[^\s?\"'#]+)\?[^\s\"']*")


def redact(text: str) -> str:
    return URL_QUERY.sub(r"\1?<redacted>", text)


class StructuredLog:
    def __init__(self, stream: TextIO | None = None, **context: Any) -> None:
        self.stream = stream
        self.context = {key: value for key, value in context.items() if value is not None}

    def bind(self, **context: Any) -> StructuredLog:
        return StructuredLog(self.stream, **{**self.context, **context})

    def info(self, message: str, **fields: Any) -> None:
        self._write("INFO", message, fields)

    def warning(self, message: str, **fields: Any) -> None:
        self._write("WARNING", message, fields)

    def error(self, message: str, **fields: Any) -> None:
        self._write("ERROR", message, fields)

    def _write(self, level: str, message: str, fields: dict[str, Any]) -> None:
        record = {"time": round(time.time(), 3), "level": level, "message": message, **self.context, **fields}
        line = redact(json.dumps(record, default=str, ensure_ascii=False))
        line = line.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate must not lose the line
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream never stops the work
            print(line, file=self.stream or sys.stdout, flush=True)

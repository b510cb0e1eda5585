"""Lambda's Python runtime, as far as a handler sees it: run by ``multigsi.local.cloudformation.contract``
as a script, ``python3.12 -I -S zip_bootstrap.py ROOT MODULE.ATTRIBUTE``, in a process of
its own that stays warm between invocations as a Lambda container does.

``ROOT`` is the unpacked ``ResourceProvider.zip``: the only thing on the path besides the
standard library (``-I -S``: no site-packages, no user site, no PYTHON* variables), as on
Lambda, where the package brings every dependency. Requests arrive one JSON line each on
stdin (``{"event": ..., "context": {...}}``); each answer is one JSON line on the original
stdout, ``{"result": ...}`` or ``{"errorType": ..., "errorMessage": ...}`` as Lambda reports
a function error. Whatever the handler prints goes to stderr (Lambda: the log stream).
Standard library only.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from typing import Any


class Context:
    """The attributes of the Lambda context object the Python runtime passes."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.function_name = str(raw["function_name"])
        self.function_version = "$LATEST"
        self.invoked_function_arn = str(raw["invoked_function_arn"])
        self.memory_limit_in_mb = int(raw.get("memory_limit_in_mb", 256))
        self.aws_request_id = str(raw["aws_request_id"])
        self.log_group_name = str(raw.get("log_group_name", "/aws/lambda/" + self.function_name))
        self.log_stream_name = str(raw.get("log_stream_name", "local"))
        self._deadline = time.monotonic() + float(raw["remaining_ms"]) / 1000.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    root, entry = sys.argv[1], sys.argv[2]
    sys.path.insert(0, root)
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # the handler's prints: to stderr, never into the answers
    module, _, attribute = entry.rpartition(".")
    handler = getattr(importlib.import_module(module), attribute)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer: dict[str, Any] = {"result": handler(request["event"], Context(request["context"]))}
        except Exception as error:  # what Lambda reports as the function's error
            answer = {"errorType": type(error).__name__, "errorMessage": str(error)}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()

"""What the Lambda handler costs around the work: the import time the handler adds over
`import boto3` (a cold start pays it once). The hand-off gap between invocations is not
measured: the local harness's Lambda is in-process, so its gap says nothing about AWS."""

from __future__ import annotations

import statistics
import subprocess
import sys
from typing import Any

IMPORT_PROBE = (
    "import time; t0 = time.perf_counter(); import boto3; t1 = time.perf_counter(); "
    "import multigsi.cfn; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
)


def import_cost(runs: int = 25) -> dict[str, Any]:
    boto3_times, added = [], []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True
        ).stdout.split()
        boto3_times.append(float(output[0]))
        added.append(float(output[1]))
    return {
        "runs": runs,
        "import_boto3_ms_median": round(1000 * statistics.median(boto3_times), 1),
        "import_boto3_ms_min": round(1000 * min(boto3_times), 1),
        "handler_adds_ms_median": round(1000 * statistics.median(added), 1),
        "handler_adds_ms_min": round(1000 * min(added), 1),
        "handler_adds_ms_max": round(1000 * max(added), 1),
    }

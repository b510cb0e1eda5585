"""What waiting costs in the cloud, per index-hour of waiting, at public list prices
(us-east-1, on-demand, as listed on the AWS pricing pages; check them before relying on
them): DescribeTable is a control-plane call and not billed, but each call counts against
the account's control-plane rate; GetMetricData is billed per metric requested; waiting
inside a Lambda costs its memory for as long as it waits; Step Functions bills state
transitions."""

from __future__ import annotations

from typing import Any

PRICES = {
    "lambda_gb_second": 0.0000166667,  # USD, x86, aws.amazon.com/lambda/pricing
    "lambda_request": 0.20 / 1_000_000,  # USD per invocation
    "step_functions_transition": 0.025
    / 1000,  # USD, Standard workflows, aws.amazon.com/step-functions/pricing
    "get_metric_data_metric": 0.01 / 1000,  # USD per metric requested, aws.amazon.com/cloudwatch/pricing
}
MULTIGSI_MEMORY_GB = 256 / 1024  # templates/multigsi.sam.yaml MemorySize
PEER_MEMORY_GB = 128 / 1024  # assumed for the peers' polling functions (their default)
POLL_INVOCATION_SECONDS = 0.1  # assumed duration of one isComplete / poll invocation
LAMBDA_HOP_SECONDS = 900.0  # multigsi's custom resource hands off before each 900 s Lambda ends


def cloud_costs(cloud: str, describes_per_hour: float, metric_reads_per_hour: float) -> dict[str, Any]:
    """Compute per index-hour of waiting in CloudFormation mode, from the measured polls."""
    gb_seconds = transitions = invocations = 0.0
    if cloud in ("lambda", "lambda-peer"):  # the function itself waits (multigsi: a chain of hand-offs)
        gb_seconds = (MULTIGSI_MEMORY_GB if cloud == "lambda" else PEER_MEMORY_GB) * 3600
        invocations = 3600 / LAMBDA_HOP_SECONDS
    elif cloud == "stepfunctions":  # a state machine waits; a short Lambda per poll
        transitions = describes_per_hour
        invocations = describes_per_hour
        gb_seconds = PEER_MEMORY_GB * POLL_INVOCATION_SECONDS * describes_per_hour
    elif cloud == "schedule":  # a scheduled rule invokes the function per poll
        invocations = describes_per_hour
        gb_seconds = PEER_MEMORY_GB * POLL_INVOCATION_SECONDS * describes_per_hour
    dollars = (
        gb_seconds * PRICES["lambda_gb_second"]
        + invocations * PRICES["lambda_request"]
        + transitions * PRICES["step_functions_transition"]
        + metric_reads_per_hour * PRICES["get_metric_data_metric"]
    )
    return {
        "lambda_gb_seconds": round(gb_seconds, 2),
        "lambda_invocations": round(invocations, 1),
        "step_functions_transitions": round(transitions, 1),
        "usd": round(dollars, 5),
    }

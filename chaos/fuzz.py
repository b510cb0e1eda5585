"""Fuzzing the two doors bad input comes through: specs (files and custom resource
properties) and custom resource events. Seeded; the outcome must always be a valid spec,
a list of problems, or a FAILED answer (a log line where no answer can be sent)."""

from __future__ import annotations

import contextlib
import copy
import io
import os
import random
import uuid
from typing import Any

from multigsi.cloudformation.custom_resource.handler import CustomResourceHandler
from multigsi.cloudformation.properties import properties_spec
from multigsi.errors import SpecError
from multigsi.model.parse import parse_table_spec

VALID = {
    "TableName": "fuzzed",
    "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "N"}],
    "GlobalSecondaryIndexes": [
        {"IndexName": "by-a", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}, "ProvisionedThroughput": {"ReadCapacityUnits": "5", "WriteCapacityUnits": 1}},
    ],
}  # fmt: skip
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**70,
    1.5,
    "",
    "ä" * 300,
    "🙂",
    "5",
    "true",
    [],
    {},
    [None],
    {"Ref": "X"},
    "x" * 5000,
]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind < 4:
        return rng.choice(ODD_VALUES)
    if kind == 4:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = [
        "TableName",
        "AttributeDefinitions",
        "GlobalSecondaryIndexes",
        "IndexName",
        "KeySchema",
        "Projection",
        "BillingMode",
        "zz",
    ]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def mutate(rng: random.Random, document: Any) -> Any:
    """Replace, drop or add one thing somewhere in a valid spec."""
    document = copy.deepcopy(document)
    node = document
    while isinstance(node, dict | list) and node and rng.random() < 0.7:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        child = node[key]
        if not isinstance(child, dict | list) or not child or rng.random() < 0.3:
            action = rng.randrange(3)
            if action == 0:
                node[key] = random_json(rng)
            elif action == 1 and isinstance(node, dict):
                del node[key]
            elif isinstance(node, list):
                node.append(random_json(rng))
            return document
        node = child
    return document


def fuzz_specs(count: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    result: dict[str, Any] = {"inputs": 0, "valid": 0, "invalid": 0, "violations": []}
    for number in range(count):
        document = random_json(rng) if number % 3 == 0 else mutate(rng, VALID)
        for parse in (parse_table_spec, properties_spec):
            result["inputs"] += 1
            try:
                parse(document)
                result["valid"] += 1
            except SpecError as error:
                result["invalid"] += 1
                if not error.problems:
                    result["violations"].append(f"SpecError without problems for {str(document)[:200]}")
            except Exception as error:
                result["violations"].append(f"{type(error).__name__}: {error} for {str(document)[:200]}")
    return result


class FuzzContext:
    function_name = "multigsi"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:multigsi"
    aws_request_id = "fuzz"

    def get_remaining_time_in_millis(self) -> int:
        return 20_000


def bad_events(rng: random.Random, response_url: str) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": rng.choice(["Create", "Update", "Delete"]),
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/fuzz/1",
        "RequestId": str(uuid.UUID(int=rng.getrandbits(128))),
        "LogicalResourceId": "Indexes",
        "PhysicalResourceId": "arn:aws:dynamodb:us-east-1:123456789012:table/fuzz-missing/multigsi/Indexes",
        "ResourceProperties": mutate(rng, {**VALID, "TableName": "fuzz-missing"}),
        "OldResourceProperties": mutate(rng, VALID),
    }
    for _ in range(rng.randrange(3)):
        field = rng.choice(list(event))
        choice = rng.randrange(4)
        if choice == 0:
            del event[field]
        elif choice == 1:
            event[field] = random_json(rng)
        elif choice == 2 and field == "ResourceProperties":
            event[field] = {**VALID, "GlobalSecondaryIndexes": [VALID["GlobalSecondaryIndexes"][0]] * 3000}
        else:
            event["ResponseURL"] = rng.choice(
                [
                    "http://evil.example/x?X-Amz-Signature=s",
                    "not a url",
                    "https://s3.amazonaws.com.evil.example/",
                    response_url,
                ]
            )
    return event


def fuzz_events(count: int, seed: int = 2) -> dict[str, Any]:
    """Malformed events through the handler, answering to the local harness's URL."""
    from multigsi.local import LocalDynamoDB
    from multigsi.local.cloudformation.lambda_service import LambdaService

    rng = random.Random(seed)
    result: dict[str, Any] = {
        "inputs": 0,
        "answered_failed": 0,
        "answered_success": 0,
        "logged": 0,
        "violations": [],
    }
    saved = {
        name: os.environ.get(name)
        for name in (
            "AWS_ENDPOINT_URL_DYNAMODB",
            "MULTIGSI_RESPONSE_URL_HOSTS",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        )
    }
    with LocalDynamoDB() as endpoint:
        service = LambdaService(
            lambda e, c: None, function_name="f", region="us-east-1", account="123456789012", timeout=20
        )
        service.start()
        os.environ.update(
            {
                "AWS_ENDPOINT_URL_DYNAMODB": endpoint.url,
                "MULTIGSI_RESPONSE_URL_HOSTS": "127.0.0.1",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "f",
                "AWS_SECRET_ACCESS_KEY": "f",
            }
        )
        try:
            for _ in range(count):
                token = uuid.uuid4().hex
                event = bad_events(rng, f"{service.url}/responses/{token}?X-Amz-Signature=secret")
                result["inputs"] += 1
                logs = io.StringIO()
                try:
                    with contextlib.redirect_stdout(logs):
                        CustomResourceHandler().handle(event, FuzzContext())
                except BaseException as error:
                    result["violations"].append(f"the handler raised {type(error).__name__}: {error}")
                    continue
                if "X-Amz-Signature=secret" in logs.getvalue():
                    result["violations"].append("a log line contains the ResponseURL's query string")
                puts = [put for put in service.puts if put.token == token]
                answers = [put.body for put in puts]
                if any(put.size > 4096 for put in puts):
                    result["violations"].append("an answer over 4096 bytes")
                if answers:
                    status = answers[0]["Status"]
                    result["answered_failed" if status == "FAILED" else "answered_success"] += 1
                    if status not in ("SUCCESS", "FAILED") or (
                        status == "FAILED" and not answers[0].get("Reason")
                    ):
                        result["violations"].append(f"bad answer {answers[0]}")
                elif '"level": "ERROR"' in logs.getvalue():
                    result["logged"] += 1
                else:
                    result["violations"].append(f"no answer and no error log for {str(event)[:300]}")
        finally:
            service.stop()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return result

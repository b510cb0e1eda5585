"""cloudformation-cli's contract suite (`cfn test`, the tests CloudFormation's TestType runs
before a type can be published) against the packaged resource type, offline.

The package is built by `multigsi package --resource-type`; its ResourceProvider.zip runs
under a CPython 3.12 behind a Lambda Invoke stand-in, with an STS stand-in and ``multigsi
local`` for DynamoDB and CloudWatch (``multigsi.local.cloudformation.contract`` says how each is wired).
Every input set in ``contract_inputs/`` runs the whole suite once (one `cfn test` each), on
a table of its own; afterwards no index and no ``multigsi:`` tag may be left on it.

cloudformation-cli lives in a virtualenv of its own (see test_type_schema.py): skipped
without MULTIGSI_CFN_CLI, a failure with MULTIGSI_REQUIRE_CFN_VALIDATE=1 (.ci/run).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

import multigsi
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.cloudformation.contract import (
    ACCOUNT,
    LocalSts,
    SuiteRun,
    ZipFunction,
    cfn_environment,
    run_cfn_test,
    unpack,
    write_project,
)
from multigsi.local.cloudformation.lambda_service import LambdaService
from tests.integration.test_lambda_package import runtime_interpreter
from tests.integration.test_resource_type_package import package
from tests.integration.test_type_schema import cfn_cli

INPUTS = Path(__file__).with_name("contract_inputs")
REGION = "ca-west-1"  # no other test keeps tables here (List reads the whole region)
FUNCTION = "TypeFunction"
LAMBDA_TIMEOUT = 120.0
SUITE_TIMEOUT = 500.0  # one input set takes about 25 s here
# Index work takes about a second here, so an operation fits in one handler call.
TIMING = Timing(
    build_seconds=1.0,
    delete_seconds=0.5,
    update_seconds=0.5,
    min_jitter_seconds=0.2,
    table_seconds=0.2,
)
# Where the suite itself skips for this schema (rpdk/core/contract/suite/resource), and why:
EXPECTED_SKIPS = {
    # skip_not_writable_identifier / has_only_writable_identifiers: the primary identifier
    # (Id) is read-only, so "the same resource created twice" cannot be expressed by input.
    "handler_create.py::contract_create_create": "No writable identifiers",
    "handler_delete.py::contract_delete_create": "No writable identifiers",
    # skip_not_taggable / skip_not_tag_updatable: the schema says "tagging": {"taggable": false} (the table's tags
    # hold the ownership record).
    "handler_create.py::contract_create_taggable": "not taggable",
    "handler_update.py::contract_update_tag_updatable": "not tagUpdatable",
}


@dataclass
class Contract:
    cfn: Path
    local: LocalDynamoDB
    function: ZipFunction
    lambda_service: LambdaService
    sts: LocalSts
    environment: dict[str, str]
    settings: bytes
    schema: str
    client: Any
    folder: Path


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Contract]:
    cfn = Path(cfn_cli())
    interpreter = runtime_interpreter()
    folder = tmp_path_factory.mktemp("contract")
    archive = folder / "multigsi-resource-type.zip"
    package(archive, Path(multigsi.__file__).parent, "--python", str(interpreter.path))
    with zipfile.ZipFile(archive) as opened:
        (folder / "ResourceProvider.zip").write_bytes(opened.read("ResourceProvider.zip"))
        settings = opened.read(".rpdk-config")
        schema = opened.read("schema.json").decode()
    provider = unpack(folder / "ResourceProvider.zip", folder / "provider")
    with LocalDynamoDB(timing=TIMING) as local, LocalSts(folder / "sts") as sts:
        function = ZipFunction(
            provider,
            interpreter.path,
            json.loads(settings)["entrypoint"],
            {
                "PATH": "/usr/bin:/bin",
                "LANG": "C.UTF-8",
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ENDPOINT_URL_DYNAMODB": local.url,
                "AWS_ENDPOINT_URL_CLOUDWATCH": local.url,
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
            },
            folder / "function.log",
        )
        service = LambdaService(
            function, function_name=FUNCTION, region=REGION, account=ACCOUNT, timeout=LAMBDA_TIMEOUT
        )
        function.environment = {**function.environment, "AWS_ENDPOINT_URL_CLOUDFORMATION": service.url}
        service.start()
        client = boto3.client(
            "dynamodb",
            endpoint_url=local.url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        try:
            yield Contract(
                cfn,
                local,
                function,
                service,
                sts,
                cfn_environment(cfn, folder / "home", REGION, sts),
                settings,
                schema,
                client,
                folder,
            )
        finally:
            function.stop()
            service.stop()


def input_set(name: str) -> dict[str, dict[str, Any]]:
    return {
        kind: json.loads((INPUTS / name / f"inputs_1_{kind}.json").read_text())
        for kind in ("create", "update", "invalid")
    }


def create_table(client: Any, model: dict[str, Any]) -> None:
    """The existing table the type manages: key ``pk``, the input's billing mode, no index."""
    provisioned = model.get("BillingMode") == "PROVISIONED"
    client.create_table(
        TableName=model["TableName"],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PROVISIONED" if provisioned else "PAY_PER_REQUEST",
        **(
            {"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}
            if provisioned
            else {}
        ),
    )
    client.get_waiter("table_exists").wait(TableName=model["TableName"], WaiterConfig={"Delay": 1})


def report(run: SuiteRun, function_log: Path) -> str:
    lines = [f"{case.outcome:8} {case.name} {case.message[:2000]}" for case in run.cases]
    log = function_log.read_text(errors="replace")[-3000:] if function_log.is_file() else ""
    return (
        "\n".join(lines)
        + f"\n--- cfn test output (last 6000 characters) ---\n{run.output[-6000:]}"
        + f"\n--- the function's log (last 3000 characters) ---\n{log}"
    )


# The plain set and the write-only one run by default; the other two (25 s each) with the
# slow variants, which CI runs too: every set passes before anything lands.
DEFAULT_SETS = ("plain", "write-only")


@pytest.mark.timeout(SUITE_TIMEOUT + 100)
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=() if name in DEFAULT_SETS else pytest.mark.slow)
        for name in sorted(p.name for p in INPUTS.iterdir() if p.is_dir())
    ],
)
def test_contract_suite_passes(contract: Contract, name: str) -> None:
    inputs = input_set(name)
    table = inputs["create"]["TableName"]
    create_table(contract.client, inputs["create"])
    project = write_project(contract.folder / name, contract.settings, contract.schema, inputs)
    calls_before = len(contract.sts.calls)
    run = run_cfn_test(
        contract.cfn,
        project,
        endpoint=contract.lambda_service.url,
        function_name=FUNCTION,
        region=REGION,
        environment=contract.environment,
        timeout=SUITE_TIMEOUT,
    )
    print(f"{name}: {len(run.cases)} contract tests in {run.seconds:.0f} s")
    explained = report(run, contract.function.log)
    print(explained)
    assert run.cases, explained
    assert not run.with_outcome("failed"), explained
    skipped = {case.name: case.message for case in run.with_outcome("skipped")}
    assert set(skipped) == set(EXPECTED_SKIPS), explained
    for case, why in EXPECTED_SKIPS.items():
        assert why in skipped[case], (case, skipped[case])
    assert run.returncode == 0, explained
    assert contract.function.cold_starts == 1  # one warm process: no invocation ran past its timeout
    # rpdk asked STS (through the stand-in) for the account and for session credentials
    actions = {call.action for call in contract.sts.calls[calls_before:]}
    assert {"GetCallerIdentity", "GetSessionToken"} <= actions
    # everything the suite created, it deleted: no index and no ownership tag is left
    described = contract.client.describe_table(TableName=table)["Table"]
    assert described.get("GlobalSecondaryIndexes", []) == []
    tags = contract.client.list_tags_of_resource(ResourceArn=described["TableArn"]).get("Tags", [])
    assert [t["Key"] for t in tags if t["Key"].startswith("multigsi:")] == []

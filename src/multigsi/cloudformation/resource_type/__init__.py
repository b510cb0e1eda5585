"""The CloudFormation registry resource type ``Multigsi::DynamoDB::GlobalSecondaryIndexes``.

A custom resource must answer within an hour; a registry type's handlers report progress
and are called back, for up to ``timeoutInMinutes`` (2160 = 36 hours). The type drives the
same reconcile engine as ``Custom::MultiGsi`` and shares its ownership record, one bounded
stretch of work per invocation:

- ``schema.json``: the provider schema, the single source of properties, permissions, timeouts;
- ``model``: the resource model, its identifier, and the model Read reports from the live table;
- ``pacing``: when to come back (callbackDelaySeconds) and the progress message;
- ``operations``: create/update/delete/read/list over the engine and the ownership record;
- ``handlers``: the ``cloudformation_cli_python_lib.Resource`` entry point (``resource``).

Only ``handlers`` imports cloudformation_cli_python_lib; the rest is standard library and boto3.
"""

from __future__ import annotations

from pathlib import Path

from multigsi.cloudformation.properties import RESOURCE_TYPE_NAME

TYPE_NAME = RESOURCE_TYPE_NAME
SCHEMA_PATH = Path(__file__).with_name("schema.json")

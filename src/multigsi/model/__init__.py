"""The domain types and the one mapping between them and the wire.

- ``table``: the desired state (TableSpec, IndexSpec, ...); ``limits``: DynamoDB's limits;
- ``parse``: spec documents and CloudFormation properties into a validated TableSpec;
- ``live``: what DescribeTable says, as types;
- ``wire``: the only place that builds DynamoDB request dictionaries.
"""

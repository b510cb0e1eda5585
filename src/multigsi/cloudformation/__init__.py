"""CloudFormation's two front doors over one workflow (``multigsi.engine.ownership.workflow``).

- ``properties``: what both resource kinds accept, parsed the same way, and their type names;
- ``custom_resource``: ``Custom::MultiGsi``, a Lambda that always answers and hands long work
  to its next invocation;
- ``resource_type``: the registry type ``Multigsi::DynamoDB::GlobalSecondaryIndexes``, whose
  handlers return progress and are called back for up to 36 hours.

The two adapters differ only in how they are invoked, how they hand over to the next
invocation and how they answer; neither imports the other.
"""

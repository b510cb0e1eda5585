"""An AWS CDK v2 construct for multigsi's custom resource (the ``cdk`` extra: aws-cdk-lib).

::

    from multigsi.cdk import GlobalSecondaryIndexes

    GlobalSecondaryIndexes(self, "Indexes", table=table, indexes=[GlobalSecondaryIndexProps(...), ...])

``construct`` (the construct and its options), ``provider`` (the one function per stack),
``shapes`` (CDK's index shapes → the CLI's parser), ``code`` (the Lambda zip, cached).
"""

from multigsi.cdk.code import lambda_zip
from multigsi.cdk.construct import Backend, GlobalSecondaryIndexes

__all__ = ["Backend", "GlobalSecondaryIndexes", "lambda_zip"]

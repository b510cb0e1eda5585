"""A local stand-in for CloudFormation and Lambda, to run the custom resource without AWS.

It delivers Create / Update / Delete events the way CloudFormation does (asynchronously,
through Lambda's Invoke API over HTTP, with numbers turned into strings), serves the
pre-signed ResponseURL and records every PUT, runs hand-offs as new invocations with a
realistic context, and follows CloudFormation's rollback rules. Tests and `multigsi
cfn-local` use it against the local DynamoDB endpoint.
"""

from multigsi.local.cloudformation.cloudformation import CfnResponse, LocalCloudFormation
from multigsi.local.cloudformation.stack import CustomResource, Stack

__all__ = ["CfnResponse", "CustomResource", "LocalCloudFormation", "Stack"]

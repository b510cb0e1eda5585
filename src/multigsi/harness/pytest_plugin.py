"""The pytest plugin under its first name (see ``multigsi.harness``)."""

from multigsi.local.cloudformation.pytest_plugin import local_cloudformation, local_dynamodb

__all__ = ["local_cloudformation", "local_dynamodb"]

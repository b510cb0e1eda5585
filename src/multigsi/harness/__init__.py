"""Kept for test suites written before the package moved: ``pytest -p
multigsi.harness.pytest_plugin`` and ``from multigsi.harness import LocalCloudFormation, Stack``.
The stand-ins live in ``multigsi.local.cloudformation``."""

from multigsi.local.cloudformation import CfnResponse, CustomResource, LocalCloudFormation, Stack

__all__ = ["CfnResponse", "CustomResource", "LocalCloudFormation", "Stack"]

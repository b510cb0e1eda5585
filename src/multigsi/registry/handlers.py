"""The resource type's entry point under its first name (see ``multigsi.registry``)."""

from multigsi.cloudformation.resource_type.handlers import resource, test_entrypoint

__all__ = ["resource", "test_entrypoint"]

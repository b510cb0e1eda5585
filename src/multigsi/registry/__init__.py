"""Kept for resource type versions registered before the package moved: their handler
package's entry point is ``multigsi.registry.handlers.resource``. New packages name
``multigsi.cloudformation.resource_type.handlers.resource``."""

"""Kept for stacks deployed before the package moved: their functions' Handler is
``multigsi.cfn.lambda_handler``. New templates name
``multigsi.cloudformation.custom_resource.lambda_handler``; both are the same function."""

from multigsi.cloudformation.custom_resource import CustomResourceHandler, lambda_handler

__all__ = ["CustomResourceHandler", "lambda_handler"]

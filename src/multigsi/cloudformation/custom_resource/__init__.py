"""The CloudFormation custom resource (standard library + boto3 only)."""

from multigsi.cloudformation.custom_resource.handler import CustomResourceHandler, lambda_handler

__all__ = ["CustomResourceHandler", "lambda_handler"]

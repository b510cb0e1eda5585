"""The one error type of the local endpoint: what DynamoDB would answer instead."""

from __future__ import annotations

# The namespace DynamoDB puts in front of each error code in ``__type``: Coral's own
# errors come from its validation and serialization layers, the rest from DynamoDB.
NAMESPACES = {
    "ValidationException": "com.amazon.coral.validate",
    "SerializationException": "com.amazon.coral.service",
}
DEFAULT_NAMESPACE = "com.amazonaws.dynamodb.v20120810"


class AwsError(Exception):
    """An error answered the way DynamoDB answers it."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    @property
    def type_name(self) -> str:
        return f"{NAMESPACES.get(self.code, DEFAULT_NAMESPACE)}#{self.code}"

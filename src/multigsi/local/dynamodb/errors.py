"""The one error type of the local endpoint: what DynamoDB would answer instead."""

from __future__ import annotations

# The namespace DynamoDB puts in front of each error code in ``__type``: Coral's own
# errors come from its validation and serialization layers, the rest from DynamoDB.
NAMESPACES = {
    "ValidationException": "com.amazon.coral.validate",
    "SerializationException": "com.amazon.coral.service",
    "AccessDeniedException": "com.amazon.coral.service",
}
DEFAULT_NAMESPACE = "com.amazonaws.dynamodb.v20120810"


# Coral's own service errors spell the member "Message"; the rest "message" (dynalite's
# assertSerialization and assertAccessDenied, asserted against AWS, 2018-10-16).
CAPITAL_MESSAGE = frozenset({"SerializationException", "AccessDeniedException"})


class AwsError(Exception):
    """An error answered the way DynamoDB answers it (``message`` None: a body without one)."""

    def __init__(self, code: str, message: str | None, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message or ""
        self.has_message = message is not None
        self.status = status

    @property
    def type_name(self) -> str:
        return f"{NAMESPACES.get(self.code, DEFAULT_NAMESPACE)}#{self.code}"

    def body(self) -> dict[str, str]:
        """The JSON document DynamoDB answers."""
        document = {"__type": self.type_name}
        if self.has_message:
            document["Message" if self.code in CAPITAL_MESSAGE else "message"] = self.message
        return document

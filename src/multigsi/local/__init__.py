"""A local DynamoDB endpoint whose index changes behave like AWS's.

moto keeps the tables and items; ``control_plane`` adds what moto lacks (phases, build
times, one create/delete at a time, AWS's errors) and ``server`` applies it at the wire
level, so any AWS SDK can talk to it. Nothing here imports the engine.
"""

from multigsi.local.dynamodb.control_plane import ControlPlane, EndpointEvent, Timing
from multigsi.local.dynamodb.errors import AwsError
from multigsi.local.dynamodb.replicas import IndexStart, ReplicaRules
from multigsi.local.dynamodb.server import LocalDynamoDB
from multigsi.local.dynamodb.tables import Limits

__all__ = [
    "AwsError",
    "ControlPlane",
    "EndpointEvent",
    "IndexStart",
    "Limits",
    "LocalDynamoDB",
    "ReplicaRules",
    "Timing",
]

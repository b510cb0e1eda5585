"""A local DynamoDB endpoint whose index changes behave like AWS's.

moto keeps the tables and items; ``control_plane`` adds what moto lacks (phases, build
times, one create/delete at a time, AWS's errors) and ``server`` applies it at the wire
level, so any AWS SDK can talk to it. Nothing here imports the engine.
"""

from multigsi.local.control_plane import AwsError, ControlPlane, EndpointEvent, Timing
from multigsi.local.server import LocalDynamoDB

__all__ = ["AwsError", "ControlPlane", "EndpointEvent", "LocalDynamoDB", "Timing"]

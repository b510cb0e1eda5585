"""Figures for docs/resource-type.md: the resource type through the Cloud Control API's
request shapes (no stack id, no logical id) against ``multigsi local`` in simulated time.

Run: ``python -m bench.cloud_control`` (a few seconds).
"""

from __future__ import annotations

import time

from tests.integration.registry_sim import Simulation, simulation
from tests.integration.test_registry import fresh

from multigsi.local.cloudformation.resource_type_caller import RegistryStack, RegistryStandIn

BUILD_SECONDS = 60.0


def cloud_control(sim: Simulation) -> RegistryStandIn:
    return RegistryStandIn(sim.standin.entry, sim.clock, region=sim.standin.region, stackless=True)


def main() -> None:
    table, spec = fresh()
    started = time.monotonic()
    with simulation(build_seconds=BUILD_SECONDS) as sim:
        sim.create_table(table)
        first = RegistryStack(cloud_control(sim))
        created = first.create(spec)
        print(f"create: {created.status}, {len(created.invocations)} invocations, "
              f"{created.ended - created.started:.1f} s simulated")  # fmt: skip
        duplicate = RegistryStack(cloud_control(sim)).create(spec)
        print(
            f"second create: {duplicate.status} {duplicate.error_code}, {len(duplicate.invocations)} invocation(s)"
        )
        assert first.model is not None
        print(f"read by Id: {cloud_control(sim).read({'Id': first.model['Id']}).status}")
        deleted = first.delete()
        print(f"delete: {deleted.status}, {len(deleted.invocations)} invocations, "
              f"{deleted.ended - deleted.started:.1f} s simulated")  # fmt: skip
    print(f"real time: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()

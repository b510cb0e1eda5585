"""Figures for docs/resource-type.md: the type through Cloud Control's request shapes (no stack) against
multigsi local in simulated time. Run: python -m bench.cloud_control"""
import time
from multigsi.local.cloudformation.resource_type_caller import RegistryStack, RegistryStandIn
from tests.integration.registry_sim import simulation
from tests.integration.test_registry import fresh

table, spec = fresh()
started = time.monotonic()
with simulation(build_seconds=60.0) as sim:
    sim.create_table(table)
    cc = lambda: RegistryStandIn(sim.standin.entry, sim.clock, region=sim.standin.region, stackless=True)
    first = RegistryStack(cc())
    created = first.create(spec)
    print("create:", created.status, "invocations", len(created.invocations), "simulated s", round(created.ended - created.started, 1))
    dup = RegistryStack(cc()).create(spec)
    print("duplicate:", dup.status, dup.error_code, "invocations", len(dup.invocations))
    read = cc().read({"Id": first.model["Id"]})
    print("read:", read.status)
    deleted = first.delete()
    print("delete:", deleted.status, "invocations", len(deleted.invocations), "simulated s", round(deleted.ended - deleted.started, 1))
print("wall s", round(time.monotonic() - started, 1))

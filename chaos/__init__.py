"""Seeded chaos scenarios under injected faults, checked by an independent recording proxy.
`python -m chaos` runs the full set and writes docs/reliability.md."""

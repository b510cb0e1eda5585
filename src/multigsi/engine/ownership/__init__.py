"""Who owns each index, in one place for every front door.

- ``record``: the durable record kept as tags on the table (and ``Ownership``, the set of
  indexes one run may change);
- ``policy``: the claim rules (what a Create/Update claims, what a Delete removes);
- ``stack``: what CloudFormation says about a resource's own stack;
- ``workflow``: claim → apply → release, the one sequence both CloudFormation adapters run.
"""

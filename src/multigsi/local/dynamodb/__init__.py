"""The local DynamoDB endpoint: moto for tables and items, ``control_plane`` for what moto
lacks (phases, build times, one create/delete at a time, AWS's errors). Speaks only the
wire protocol: nothing here imports the engine."""

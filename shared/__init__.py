"""What every Samen service imports, in two rooms.

The contract, what the services agree on: `events` (the event models and envelope),
`subjects` (subjects on NATS), `contracts/` (the request/reply verbs and their models),
`areas`, `categories`, `errors`, `ids`, `texts`, `certificates`, `clock`, `data`.

The runtime, how a service runs: `service` (the runtime every service shares), `consumer`,
`rpc`, `outbox`, `inbox`, `uow`, `db`, `migrations`, `polling`, `together`, `write_behind`,
`settings`, `credentials`, `logging`, `metrics`, `tracing`, `heap`, `streams`,
`nats_accounts`, `plugin`, `reach`, `running_system`, `handler_params`.

The contract imports nothing of the runtime (import-linter keeps it so), so a plug-in or a
domain can take the contract alone.
"""

"""The FastStream application of the registry service (for `faststream run` and `faststream docs`)."""

from services.registry.bootstrap import build

runtime = build()
app = runtime.app

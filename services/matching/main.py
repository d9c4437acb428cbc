"""The FastStream application of the matching service (for `faststream run` and `faststream docs`)."""

from services.matching.bootstrap import build

runtime = build()
app = runtime.app

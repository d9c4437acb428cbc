"""The FastStream app of this service (for `faststream run` and `faststream docs`)."""

from services.matching.bootstrap import build

runtime = build()
app = runtime.app

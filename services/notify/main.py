"""The FastStream application of the notify service (for `faststream run` and `faststream docs`)."""

from services.notify.bootstrap import build

runtime = build()
app = runtime.app

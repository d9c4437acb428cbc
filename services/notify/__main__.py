"""`python -m services.notify` runs the notify service."""

from services.notify.bootstrap import build
from shared.credentials import refuse_to_start

if __name__ == "__main__":
    with refuse_to_start("notify"):
        runtime = build()
    runtime.run()

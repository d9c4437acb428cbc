"""`python -m services.registry` runs the registry service."""

from services.registry.bootstrap import build
from shared.credentials import refuse_to_start

if __name__ == "__main__":
    with refuse_to_start("registry"):
        runtime = build()
    runtime.run()

"""`python -m services.matching` runs the matching service."""

from services.matching.bootstrap import build
from shared.credentials import refuse_to_start

if __name__ == "__main__":
    with refuse_to_start("matching"):
        runtime = build()
    runtime.run()

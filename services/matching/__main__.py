"""`python -m services.matching` runs the matching service."""

from services.matching.bootstrap import build

if __name__ == "__main__":
    build().run()

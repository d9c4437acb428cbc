"""`python -m services.notify` runs the notify service."""

from services.notify.bootstrap import build

if __name__ == "__main__":
    build().run()

"""The Samen services: registry, matching, notify and the gateway."""

"""The gateway: the HTTP face of Samen (REST API, web pages, live updates)."""

"""What the API and the web pages do, once: each function is one use case of the gateway,
one module per subject. Routes (JSON and HTML alike) only translate HTTP into these calls.

A use case is a plain async function over the `Gateway` (bootstrap.py), the `Principal` it
acts for and contract models; nothing of FastAPI, requests or templates (pyproject.toml
[tool.importlinter] keeps it so)."""

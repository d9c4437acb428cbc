"""Complete examples of cooperative plug-ins built with shared.plugin."""

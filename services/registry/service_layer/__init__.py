"""Use cases of the registry: one function per use case, taking a unit of work."""

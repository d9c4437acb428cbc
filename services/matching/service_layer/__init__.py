"""Use cases of the matching service: one function each, taking a unit of work."""

"""The contract package every Samen service imports: events, subjects, streams, plumbing."""

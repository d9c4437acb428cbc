"""The notice-board sheet for a neighbourhood living room: a cooperative plug-in."""

"""Text search of the social map: accent- and case-insensitive words."""

import re
import unicodedata


def fold(text: str) -> str:
    """`Buurtcoöperatie` -> `buurtcooperatie`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def search_text(*parts: str | None) -> str:
    return " ".join(fold(p) for p in parts if p)


def search_words(q: str | None) -> list[str]:
    """The words to look for (each must occur); `%` and `_` are not wildcards for the user."""
    return [w for w in re.split(r"[\W_]+", fold(q or "")) if w][:8]

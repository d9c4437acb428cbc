"""`N_` marks a text for the translation catalogues without translating it where it stands.

`pybabel extract` (babel.cfg, docs/translating.md) finds every `N_("...")`; the text is
translated later, where the reader's language is known.
"""


def N_(text: str) -> str:
    return text

"""Rules for text a person typed: which characters a one-line or a multi-line field may hold.

A one-line value (a name, a title, a reference) ends up in e-mail subjects, CSV cells and page
headings, where a line break or an invisible control character either breaks the output or
hides what it says. Multi-line text keeps its line breaks and tabs but nothing else invisible.
"""

import unicodedata

# Characters that change the direction of the text around them: used to disguise what a
# name says ("Trojan Source"). Right-to-left and left-to-right *marks* are allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_SEPARATORS = frozenset("\u2028\u2029\x85")
_MULTILINE_ALLOWED = frozenset("\n\r\t")


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS or char in _LINE_SEPARATORS


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """True if ``text`` holds a character a field of this kind must refuse."""
    allowed = _MULTILINE_ALLOWED if multiline else frozenset()
    return any(_is_control(char) and char not in allowed for char in text)


def one_line(text, limit: int = 200) -> str:
    """``text`` made safe for a one-line place such as an e-mail header: every control character
    or line break becomes a space, runs of spaces collapse, and it is cut to ``limit``."""
    cleaned = "".join(" " if _is_control(char) else char for char in str(text))
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"

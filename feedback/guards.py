"""Guards on feedback text and on anonymous posts.

- Patient identifiers in free text: NHS numbers however they are typed (any grouping, any
  separator, full-width or other script digits, invisible characters between them), a date of
  birth next to a name or a "born"/"DOB" label, and hospital (MRN) numbers.
- Rate limits on the public form that fail open.
"""

import contextlib
import ipaddress
import logging
import re
import unicodedata

from django.core.cache import cache

logger = logging.getLogger(__name__)

# --- Normalising typed text -------------------------------------------------------------------

_DASHES = "\u2212\u2796\ufe63"  # minus sign, heavy minus, small hyphen-minus (not category Pd)


def _fold(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cf":  # zero-width spaces and joiners, soft hyphen, BOM, direction marks
        return ""
    if category == "Nd":  # any script's digit 0-9
        return str(unicodedata.digit(char))
    if category == "Pd" or char in _DASHES:
        return "-"
    if char.isspace():
        return " "
    return char


def normalise(text: str) -> str:
    """``text`` as a detector should read it: NFKC (full-width forms, no-break spaces), invisible
    format characters removed, every digit ASCII, every dash ``-``, every run of spaces one space."""
    folded = "".join(_fold(char) for char in unicodedata.normalize("NFKC", text))
    return re.sub(r" {2,}", " ", folded)


# --- NHS numbers -------------------------------------------------------------------------------

# Digit groups joined by separators (space, dash, dot, slash, underscore, brackets): the ways a
# number is grouped when typed. Any run of separators counts as one.
_SEPARATOR = r"[ ./\\_()\[\]-]"
_DIGIT_RUN = re.compile(rf"\d+(?:{_SEPARATOR}+\d+)*")
_GROUP = re.compile(r"\d+")


def is_valid_nhs_number(digits: str) -> bool:
    """The NHS number modulus 11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


# A real calendar date (12/03/2026, 1.3.26, 2026-03-12): never part of an NHS number, so that
# "12/03/2026 10:30" does not read as the ten digits 1203202610.
_DATE_SHAPE = re.compile(
    r"(?<!\d)(?:(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})|(\d{4})([./-])(\d{1,2})\6(\d{1,2}))(?!\d)"
)


def _is_date(match: re.Match) -> bool:
    if match.group(1):
        first, second = int(match.group(1)), int(match.group(3))
        return (1 <= first <= 31 and 1 <= second <= 12) or (1 <= first <= 12 and 1 <= second <= 31)
    year, month, day = int(match.group(5)), int(match.group(7)), int(match.group(8))
    return 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31


def _without_dates(text: str) -> str:
    return _DATE_SHAPE.sub(lambda m: "#" if _is_date(m) else m.group(), text)


def _ten_digit_candidates(text: str):
    """Every run of whole, consecutive digit groups holding exactly ten digits (3-3-4, 4-3-3,
    pairs, one block...). A group is never split, so an 11-digit phone number is not a candidate;
    a calendar date is never part of one."""
    for run in _DIGIT_RUN.finditer(_without_dates(text)):
        groups = _GROUP.findall(run.group())
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) >= 10:
                    break
            if len(digits) == 10:
                yield digits


def contains_nhs_number(text: str) -> bool:
    return any(is_valid_nhs_number(digits) for digits in _ten_digit_candidates(normalise(text)))


# --- Dates of birth and hospital numbers ----------------------------------------------------------

_MONTH = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?<!\d)(?:"
    r"\d{1,2} ?[./-] ?\d{1,2} ?[./-] ?\d{2,4}"  # 12/03/1956, 12.3.56, 12-03-56
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 1956-03-12
    rf"|\d{{1,2}}(?i:st|nd|rd|th)? {_MONTH},? \d{{2,4}}"  # 12 March 1956, 3rd Apr 48
    rf"|{_MONTH} \d{{1,2}}(?i:st|nd|rd|th)?,? \d{{2,4}}"  # March 12, 1956
    r")(?!\d)"
)
_BIRTH_LABEL = r"(?i:\bdob\b|\bd\.o\.b\b\.?|\bdate of birth\b|\bbirth ?date\b|\bborn(?: on)?\b)"
_TITLE = r"(?i:\b(?:mr|mrs|ms|miss|mx|master|patient|pt)\b)\.?"
_NAME = r"(?:[A-Z][A-Za-z'’-]+ ){0,2}[A-Z][A-Za-z'’-]+"

_DATE_OF_BIRTH = re.compile(
    # "DOB 12/03/1956", "born 12.3.56", "date of birth: 1956-03-12"
    rf"{_BIRTH_LABEL}[ :=,(-]{{0,3}}(?:(?i:is|was) )?{_DATE}"
    # "Mrs Smith 12/03/1956", "patient John Smith (12.3.56)", "Mr Jones, born 1/2/90"
    rf"|{_TITLE} {_NAME}[ ,(:;-]{{0,3}}(?:{_BIRTH_LABEL}[ :=,-]{{0,2}})?{_DATE}"
)
_HOSPITAL_LABEL = (
    r"(?i:\bmrn\b|\bhospital (?:no|number|num|id)\b|\bhosp\.? ?(?:no|number)\b"
    r"|\bunit (?:no|number)\b|\bcase ?notes? (?:no|number)\b|\bpatient (?:id|no|number)\b"
    r"|\bpas (?:no|number|id)\b)\.?"
)
_HOSPITAL_NUMBER = re.compile(
    # "MRN 1234567", "hospital number: K123456", "unit no. 00123456"
    rf"{_HOSPITAL_LABEL}[ :#=-]{{0,3}}(?:(?i:is|was) )?[A-Z]{{0,3}} ?\d{{4,10}}\b"
    # A trust's local number behind its ODS code, like "RJ1 123456"
    r"|\bR[A-Z0-9]{2}[ -]?\d{6,8}\b"
    # A letter and six or seven digits, like "K123456"
    r"|\b[A-Z]\d{6,7}\b"
)

NHS_NUMBER = "NHS number"
DATE_OF_BIRTH = "date of birth"
HOSPITAL_NUMBER = "hospital number"


def find_patient_identifier(text: str) -> str | None:
    """The kind of patient identifier ``text`` holds (``NHS_NUMBER``, ``DATE_OF_BIRTH`` or
    ``HOSPITAL_NUMBER``), or None. An ordinary date ("since 12/03/2026 ...") is not one: a date
    counts only next to a name or a birth label."""
    normal = normalise(text)
    if any(is_valid_nhs_number(digits) for digits in _ten_digit_candidates(normal)):
        return NHS_NUMBER
    if _DATE_OF_BIRTH.search(normal):
        return DATE_OF_BIRTH
    if _HOSPITAL_NUMBER.search(normal):
        return HOSPITAL_NUMBER
    return None


# --- Rate limits --------------------------------------------------------------------------------


def rate_limit_key(kind: str, who: str, link_id: int) -> str:
    """A cache key for ``who`` (a browser id or an address) posting to one link. IPv6 addresses
    count by their /64, which one household or ward network is given."""
    if kind == "address" and ":" in who:
        with contextlib.suppress(ValueError):
            who = str(ipaddress.ip_network(f"{who}/64", strict=False).network_address)
    return f"feedback-rate:{kind}:{who}:{link_id}"


def rate_limit_reached(limits: list[tuple[str, int, int]]) -> bool:
    """True if any ``(key, limit, window_seconds)`` has already had ``limit`` saved posts.

    Reads only: a post is counted by ``rate_limit_count`` once it is saved. Fails open: if the
    cache (Redis) is down the feedback is accepted, because losing a clinician's report is worse
    than letting a few extra posts through.
    """
    try:
        counts = cache.get_many([key for key, _, _ in limits])
    except Exception:
        logger.warning("Rate limit cache unavailable; accepting the post.", exc_info=True)
        return False
    return any((counts.get(key) or 0) >= limit for key, limit, _ in limits)


def rate_limit_count(limits: list[tuple[str, int, int]]) -> None:
    """Count one saved post against each key; the window starts at a key's first post."""
    for key, _, window_seconds in limits:
        try:
            if not cache.add(key, 1, timeout=window_seconds):
                try:
                    cache.incr(key)
                except ValueError:  # it expired between add and incr: a new window
                    cache.add(key, 1, timeout=window_seconds)
        except Exception:
            logger.warning("Rate limit cache unavailable; post not counted.", exc_info=True)

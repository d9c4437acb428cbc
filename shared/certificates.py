"""The certificate of conduct (VOG): how long one counts, and when to warn that it runs out.

One rule for every service: the registry announces an expired certificate to matching (no more
light care) and reminds the volunteer and their coordinators ahead of it; the board shows it.
"""

import calendar
from datetime import date, timedelta
from typing import Literal

# A VOG is asked again after three years; volunteer and coordinators hear two months before.
CERTIFICATE_VALID_YEARS = 3
CERTIFICATE_WARN_DAYS = 60
CertificateState = Literal["none", "valid", "expiring", "expired"]


def certificate_expires(issued: date) -> date:
    """The first day on which a certificate issued on `issued` no longer counts."""
    try:
        return issued.replace(year=issued.year + CERTIFICATE_VALID_YEARS)
    except ValueError:  # 29 February
        return issued.replace(year=issued.year + CERTIFICATE_VALID_YEARS, day=28)


def certificate_state(issued: date | None, today: date) -> CertificateState:
    if issued is None:
        return "none"
    expires = certificate_expires(issued)
    if expires <= today:
        return "expired"
    if expires - today <= timedelta(days=CERTIFICATE_WARN_DAYS):
        return "expiring"
    return "valid"


def certificate_counts(issued: date | None, today: date) -> bool:
    """Whether the volunteer may be proposed for work that needs a VOG today."""
    return issued is not None and certificate_expires(issued) > today


def issued_on_or_before_warns(today: date) -> date:
    """The latest issue date whose certificate is within its warning time today (or expired)."""
    return _years_back(today + timedelta(days=CERTIFICATE_WARN_DAYS))


def issued_on_or_before_expires(today: date) -> date:
    """The latest issue date whose certificate no longer counts today."""
    return _years_back(today)


def _years_back(day: date) -> date:
    # expires(issued) <= day  <=>  issued <= day - 3 years, where a 29 February issue expires
    # on the 28th: so the 28th of a February three years after a leap year reaches the 29th.
    year = day.year - CERTIFICATE_VALID_YEARS
    if (day.month, day.day) == (2, 29):
        return date(year, 2, 28)
    if (day.month, day.day) == (2, 28) and calendar.isleap(year):
        return date(year, 2, 29)
    return day.replace(year=year)

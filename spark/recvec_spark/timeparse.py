"""Event times exactly as RecVec reads them (Sources/RecVec/Data/Timestamp.swift).

Epoch seconds ("881200000", "1260759144.5": the fraction is dropped, floored for negative
values) or ISO 8601 ("2020-01-02", "2020-01-02T03:04:05Z", "2020-01-02 03:04:05.250+02:00";
no zone means UTC). Works on the UTF-8 bytes, as the Swift parser does. Tested against
`recvec` in tests/test_timeparse.py.
"""

_DIGITS = frozenset(b"0123456789")


def _number(b, at, count):
    if at + count > len(b):
        return None
    v = 0
    for k in range(at, at + count):
        if b[k] not in _DIGITS:
            return None
        v = v * 10 + b[k] - 48
    return v


def _epoch(b):
    i, negative = 0, False
    if b[0] in (45, 43):  # '-' '+'
        negative = b[0] == 45
        i = 1
    start = i
    value = 0
    while i < len(b) and b[i] in _DIGITS:
        if i - start >= 18:
            return None
        value = value * 10 + b[i] - 48
        i += 1
    if i == start:
        return None
    if i < len(b) and b[i] == 46:  # '.'
        i += 1
        fraction_start = i
        while i < len(b) and b[i] in _DIGITS:
            i += 1
        if i == fraction_start:
            return None
        if negative and any(c != 48 for c in b[fraction_start:i]):
            value += 1
    if i != len(b):
        return None
    return -value if negative else value


def _days_in(month, year):
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def days_from_civil(year, month, day):
    """Days since 1970-01-01 (H. Hinnant's days_from_civil; Python's // floors, which is what
    the Swift version's `(y >= 0 ? y : y - 399) / 400` computes with truncating division)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _iso(b):
    n = len(b)
    if n < 10:
        return None
    year, month, day = _number(b, 0, 4), _number(b, 5, 2), _number(b, 8, 2)
    if year is None or b[4] != 45 or month is None or b[7] != 45 or day is None:
        return None
    if not 1 <= month <= 12 or day < 1 or day > _days_in(month, year):
        return None
    seconds = days_from_civil(year, month, day) * 86400
    if n == 10:
        return seconds
    if b[10] not in (84, 32):  # 'T' ' '
        return None
    hour = _number(b, 11, 2)
    if hour is None or hour >= 24 or n <= 13 or b[13] != 58:
        return None
    minute = _number(b, 14, 2)
    if minute is None or minute >= 60:
        return None
    seconds += hour * 3600 + minute * 60
    i = 16
    if i < n and b[i] == 58:  # ':'
        second = _number(b, i + 1, 2)
        if second is None or second > 60:
            return None
        seconds += second
        i += 3
        if i < n and b[i] in (46, 44):  # '.' ','
            i += 1
            start = i
            while i < n and b[i] in _DIGITS:
                i += 1
            if i == start:
                return None
    if i >= n:
        return seconds
    if b[i] == 90:  # 'Z'
        return seconds if i + 1 == n else None
    if b[i] not in (43, 45):
        return None
    offset_hours = _number(b, i + 1, 2)
    if offset_hours is None or offset_hours > 23:
        return None
    offset_minutes = 0
    j = i + 3
    if j < n and b[j] == 58:
        j += 1
    if j < n:
        m = _number(b, j, 2)
        if m is None or m >= 60 or j + 2 != n:
            return None
        offset_minutes = m
    offset = offset_hours * 3600 + offset_minutes * 60
    return seconds - offset if b[i] == 43 else seconds + offset


def parse_time(text):
    """Epoch seconds of `text`, or None when it is neither form."""
    if text is None:
        return None
    b = text.encode("utf-8")
    if not b:
        return None
    value = _epoch(b)
    return value if value is not None else _iso(b)

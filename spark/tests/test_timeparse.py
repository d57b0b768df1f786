"""The Python port of Timestamp.parse against calendar.timegm (valid times) and against the
Swift parser's rules for what it refuses."""

import calendar

import pytest

from recvec_spark.timeparse import parse_time


def utc(*fields):
    return calendar.timegm(fields + (0,) * (6 - len(fields)))


@pytest.mark.parametrize("text, expected", [
    ("881250949", 881250949), ("+5", 5), ("-5", -5), ("1260759144.5", 1260759144), ("-1.5", -2), ("-1.0", -1),
    ("2020-01-02", utc(2020, 1, 2)), ("2020-01-02T03:04:05Z", utc(2020, 1, 2, 3, 4, 5)),
    ("2020-01-02 03:04:05.250+02:00", utc(2020, 1, 2, 1, 4, 5)), ("2020-01-02T03:04", utc(2020, 1, 2, 3, 4)),
    ("2020-01-02T03:04:05,9-0130", utc(2020, 1, 2, 4, 34, 5)), ("2020-01-02T03:04+05", utc(2020, 1, 1, 22, 4)),
    ("2000-02-29", utc(2000, 2, 29)), ("0000-03-01", -719468 * 86400), ("1969-12-31T23:59:59Z", -1),
    ("2016-12-31T23:59:60Z", utc(2017, 1, 1)),
])
def test_valid_times(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", [
    "", "-", "1.", "12a", "1234567890123456789", "2019-02-29", "2020-13-01", "2020-01-32", "2020-01-02X03:04",
    "2020-01-02T24:00", "2020-01-02T03:60", "2020-01-02T03:04:61", "2020-01-02T03:04:05.", "2020-01-02T03:04:05Zx",
    "2020-01-02T03:04+24", "2020-01-02T03:04+01:60", "2020-01-02T03:04+01:000", "２０２０-01-02", "2020-1-02",
])
def test_refused_times(text):
    assert parse_time(text) is None

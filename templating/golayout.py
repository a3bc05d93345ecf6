"""Go's time layouts ("2006-01-02T15:04:05Z07:00"): formatting and parsing datetimes like Go's time package."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Longest tokens first, so "2006" wins over "2" and "January" over "Jan".
_TOKENS = [
    "January",
    "Monday",
    "Z07:00:00",
    "-07:00:00",
    "Z070000",
    "-070000",
    "Z07:00",
    "-07:00",
    "Z0700",
    "-0700",
    "2006",
    "Jan",
    "Mon",
    "MST",
    "002",
    "__2",
    "Z07",
    "-07",
    "01",
    "02",
    "_2",
    "03",
    "04",
    "05",
    "06",
    "15",
    "PM",
    "pm",
    "1",
    "2",
    "3",
    "4",
    "5",
]


def _offset(t: datetime) -> int:
    off = t.utcoffset() or timedelta(0)
    return int(off.total_seconds())


def _zone(t: datetime, token: str) -> str:
    total = _offset(t)
    if token.startswith("Z") and total == 0:
        return "Z"
    sign = "-" if total < 0 else "+"
    total = abs(total)
    hh, mm, ss = total // 3600, total % 3600 // 60, total % 60
    body = token.lstrip("Z-")
    if body == "07":
        return f"{sign}{hh:02d}"
    if body == "0700":
        return f"{sign}{hh:02d}{mm:02d}"
    if body == "07:00":
        return f"{sign}{hh:02d}:{mm:02d}"
    if body == "070000":
        return f"{sign}{hh:02d}{mm:02d}{ss:02d}"
    return f"{sign}{hh:02d}:{mm:02d}:{ss:02d}"


def _frac(t: datetime, digits: str) -> str:
    ns = f"{t.microsecond:06d}000"
    if digits[0] == "0":
        return "." + ns[: len(digits)]
    trimmed = ns[: len(digits)].rstrip("0")
    return "." + trimmed if trimmed else ""


def go_format(t: datetime, layout: str) -> str:
    """time.Time.Format(layout) for the layout elements Go documents."""
    out: list[str] = []
    i = 0
    n = len(layout)
    while i < n:
        # Fractional seconds: ".000" / ".999" (or with a comma) right after a seconds element.
        if layout[i] in ".," and i + 1 < n and layout[i + 1] in "09":
            j = i + 1
            while j < n and layout[j] == layout[i + 1]:
                j += 1
            if j >= n or not layout[j].isdigit():
                prev = layout[:i]
                if prev.endswith(("05", "5")):
                    out.append(_frac(t, layout[i + 1 : j]).replace(".", layout[i], 1))
                    i = j
                    continue
        for tok in _TOKENS:
            if layout.startswith(tok, i):
                out.append(_element(t, tok))
                i += len(tok)
                break
        else:
            out.append(layout[i])
            i += 1
    return "".join(out)


def _element(t: datetime, tok: str) -> str:
    hour12 = t.hour % 12 or 12
    match tok:
        case "January":
            return _MONTHS[t.month - 1]
        case "Jan":
            return _MONTHS[t.month - 1][:3]
        case "Monday":
            return _DAYS[t.weekday()]
        case "Mon":
            return _DAYS[t.weekday()][:3]
        case "2006":
            return f"{t.year:04d}"
        case "06":
            return f"{t.year % 100:02d}"
        case "01":
            return f"{t.month:02d}"
        case "1":
            return str(t.month)
        case "02":
            return f"{t.day:02d}"
        case "2":
            return str(t.day)
        case "_2":
            return f"{t.day:2d}"
        case "002":
            return f"{t.timetuple().tm_yday:03d}"
        case "__2":
            return f"{t.timetuple().tm_yday:3d}"
        case "15":
            return f"{t.hour:02d}"
        case "03":
            return f"{hour12:02d}"
        case "3":
            return str(hour12)
        case "04":
            return f"{t.minute:02d}"
        case "4":
            return str(t.minute)
        case "05":
            return f"{t.second:02d}"
        case "5":
            return str(t.second)
        case "PM":
            return "PM" if t.hour >= 12 else "AM"
        case "pm":
            return "pm" if t.hour >= 12 else "am"
        case "MST":
            name = t.tzname() or ""
            if name.startswith("UTC") and _offset(t) == 0:
                return "UTC"
            if not name or name.startswith(("UTC", "+", "-")):
                return _zone(t, "-07")
            return name
    return _zone(t, tok)


# Patterns of the layout elements when parsing (time.Parse); zones are handled in go_parse.
_PARSE_PATTERNS = {
    "January": "(?P<month_name>" + "|".join(_MONTHS) + ")",
    "Jan": "(?P<month_abbr>" + "|".join(m[:3] for m in _MONTHS) + ")",
    "Monday": "(?:" + "|".join(_DAYS) + ")",
    "Mon": "(?:" + "|".join(d[:3] for d in _DAYS) + ")",
    "2006": r"(?P<year>\d{4})",
    "06": r"(?P<year2>\d{2})",
    "01": r"(?P<month>\d{2})",
    "1": r"(?P<month>\d{1,2})",
    "02": r"(?P<day>\d{2})",
    "2": r"(?P<day>\d{1,2})",
    "_2": r"\s?(?P<day>\d{1,2})",
    "15": r"(?P<hour>\d{2})",
    "03": r"(?P<hour12>\d{2})",
    "3": r"(?P<hour12>\d{1,2})",
    "04": r"(?P<minute>\d{2})",
    "4": r"(?P<minute>\d{1,2})",
    "05": r"(?P<second>\d{2})",
    "5": r"(?P<second>\d{1,2})",
    "PM": "(?P<ampm>AM|PM)",
    "pm": "(?P<ampm>am|pm)",
    "MST": "(?P<zone_name>[A-Z]{3,5})",
}
_ZONE_TOKENS = ("Z07:00:00", "-07:00:00", "Z070000", "-070000", "Z07:00", "-07:00", "Z0700", "-0700", "Z07", "-07")


def _q(s: str) -> str:
    return '"' + s + '"'


def go_parse(layout: str, value: str, loc: tzinfo) -> datetime:
    """time.ParseInLocation for the usual layout elements; ValueError worded like Go's on mismatch."""
    # (layout element, pattern) pieces, matched one after the other so errors can name the element.
    pieces: list[tuple[str, str]] = []
    i = 0
    while i < len(layout):
        if layout[i] in ".," and i + 1 < len(layout) and layout[i + 1] in "09":
            j = i + 1
            while j < len(layout) and layout[j] == layout[i + 1]:
                j += 1
            pieces.append((layout[i:j], r"(?:[.,](?P<frac>\d+))?"))
            i = j
            continue
        for tok in _TOKENS:
            if layout.startswith(tok, i):
                if tok in _ZONE_TOKENS:
                    pieces.append((tok, r"(?P<zone>Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)"))
                else:
                    pieces.append((tok, _PARSE_PATTERNS.get(tok, re.escape(tok))))
                i += len(tok)
                break
        else:
            # Literal layout text must match exactly.
            j = i + 1
            while j < len(layout) and not any(layout.startswith(t, j) for t in _TOKENS) and layout[j] not in ".,":
                j += 1
            pieces.append((layout[i:j], re.escape(layout[i:j])))
            i = j
    g: dict[str, str] = {}
    pos = 0
    for element, piece in pieces:
        m = re.compile(piece).match(value, pos)
        if m is None:
            raise ValueError(
                f"parsing time {_q(value)} as {_q(layout)}: cannot parse {_q(value[pos:])} as {_q(element)}"
            )
        g.update({k: v for k, v in m.groupdict().items() if v is not None})
        pos = m.end()
    if pos < len(value):
        raise ValueError(f"parsing time {_q(value)}: extra text: {_q(value[pos:])}")
    year = int(g["year"]) if g.get("year") else (2000 + int(g["year2"]) if g.get("year2") else 0)
    if g.get("year2") and int(g["year2"]) >= 69:
        year -= 100
    month = 1
    if g.get("month"):
        month = int(g["month"])
    elif g.get("month_name"):
        month = _MONTHS.index(g["month_name"]) + 1
    elif g.get("month_abbr"):
        month = [m[:3] for m in _MONTHS].index(g["month_abbr"]) + 1
    hour = int(g["hour"]) if g.get("hour") else 0
    if g.get("hour12"):
        hour = int(g["hour12"]) % 12 + (12 if (g.get("ampm") or "").lower() == "pm" else 0)
    micro = int((g.get("frac") or "0")[:6].ljust(6, "0"))
    tz: tzinfo = loc
    zone = g.get("zone")
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0), seconds=int(digits[4:6] or 0)) * (
            -1 if zone[0] == "-" else 1
        )
        tz = timezone(offset)
    elif zone == "Z":
        tz = UTC
    try:
        return datetime(
            max(year, 1),
            month,
            int(g.get("day") or 1),
            hour,
            int(g.get("minute") or 0),
            int(g.get("second") or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError:
        raise ValueError(f'parsing time "{value}": day out of range') from None

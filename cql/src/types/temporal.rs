//! Text formats of the temporal types (types.adoc "Working with timestamps", "Date
//! type", "Time type", "Duration type"): parsing constants and writing values.
//! All times are UTC: a timestamp without a zone is read as UTC (the node's zone).
//! Calendar arithmetic is proleptic Gregorian (Howard Hinnant's civil algorithms).

use super::TypeError;

const NANOS_PER_MICRO: i64 = 1_000;
const NANOS_PER_MILLI: i64 = 1_000_000;
const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;
const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;
const MILLIS_PER_DAY: i64 = 86_400_000;
/// The `date` value of 1970-01-01.
pub const DATE_EPOCH: u32 = 1 << 31;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a number of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// A tiny cursor for the fixed formats below.
struct Cur<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cur<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let start = self.pos;
        let mut v: i64 = 0;
        while self.pos - start < max {
            match self.s.get(self.pos) {
                Some(c) if c.is_ascii_digit() => {
                    v = v.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
                    self.pos += 1;
                }
                _ => break,
            }
        }
        let n = self.pos - start;
        (n >= min).then_some((v, n))
    }

    fn eat(&mut self, c: u8) -> bool {
        let ok = self.s.get(self.pos) == Some(&c);
        self.pos += usize::from(ok);
        ok
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn done(&self) -> bool {
        self.pos >= self.s.len()
    }
}

fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `yyyy-mm-dd` (the year may have more digits, or a sign) as days since the epoch.
fn parse_ymd(c: &mut Cur) -> Option<i64> {
    let neg = c.eat(b'-');
    if !neg {
        c.eat(b'+');
    }
    let (y, _) = c.digits(1, 9)?;
    let y = if neg { -y } else { y };
    if !c.eat(b'-') {
        return None;
    }
    let (m, _) = c.digits(1, 2)?;
    if !c.eat(b'-') {
        return None;
    }
    let (d, _) = c.digits(1, 2)?;
    let (m, d) = (u32::try_from(m).ok()?, u32::try_from(d).ok()?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `hh:mm[:ss[.f{1,max_frac}]]` as nanoseconds since midnight.
fn parse_hms(c: &mut Cur, need_seconds: bool, max_frac: usize) -> Option<i64> {
    let (h, _) = c.digits(1, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let (m, _) = c.digits(1, 2)?;
    let mut nanos = h * NANOS_PER_HOUR + m * NANOS_PER_MINUTE;
    if h > 23 || m > 59 {
        return None;
    }
    if c.eat(b':') {
        let (s, _) = c.digits(1, 2)?;
        if s > 59 {
            return None;
        }
        nanos += s * NANOS_PER_SECOND;
        if c.eat(b'.') {
            let (f, n) = c.digits(1, max_frac)?;
            nanos += f * 10i64.pow(9 - n as u32);
        }
    } else if need_seconds {
        return None;
    }
    Some(nanos)
}

/// An optional zone: `Z`, `+hhmm`, `+hh:mm`, `+hh`, `-...`, or `UTC`/`GMT`. Offset in ms.
fn parse_zone(c: &mut Cur) -> Option<i64> {
    while c.peek() == Some(b' ') {
        c.pos += 1;
    }
    if c.done() {
        return Some(0);
    }
    if c.eat(b'Z') || c.eat(b'z') {
        return Some(0);
    }
    let rest = c.s.get(c.pos..)?;
    if rest.eq_ignore_ascii_case(b"UTC") || rest.eq_ignore_ascii_case(b"GMT") {
        c.pos = c.s.len();
        return Some(0);
    }
    let sign = if c.eat(b'+') {
        1
    } else if c.eat(b'-') {
        -1
    } else {
        return None;
    };
    let (hh, n) = c.digits(2, 4)?;
    let (h, m) = if n == 4 {
        (hh / 100, hh % 100)
    } else if n == 2 && c.eat(b':') {
        (hh, c.digits(2, 2)?.0)
    } else if n == 2 {
        (hh, 0)
    } else {
        return None;
    };
    if h > 18 || m > 59 {
        return None;
    }
    Some(sign * (h * 3_600_000 + m * 60_000))
}

/// Parses a timestamp string: integer milliseconds, or an ISO 8601 date with optional
/// time (`T` or space) and zone (types.adoc lists the accepted forms).
pub fn parse_timestamp(s: &str) -> Result<i64, TypeError> {
    let err = || TypeError::InvalidValue(format!("Unable to parse a date/time from '{s}'"));
    let t = s.trim();
    if t.eq_ignore_ascii_case("now") {
        // Cassandra reads 'now' as the coordinator's current time.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        return i64::try_from(now).map_err(|_| err());
    }
    if is_integer(t) {
        return t.parse::<i64>().map_err(|_| {
            TypeError::InvalidValue(format!("Unable to make long (for date) from: '{s}'"))
        });
    }
    let mut c = Cur {
        s: t.as_bytes(),
        pos: 0,
    };
    let days = parse_ymd(&mut c).ok_or_else(err)?;
    let mut nanos = 0;
    if c.eat(b'T')
        || c.eat(b't')
        || (c.peek() == Some(b' ')
            && c.s.get(c.pos + 1).is_some_and(u8::is_ascii_digit)
            && c.eat(b' '))
    {
        // Cassandra reads up to milliseconds; more digits (cqlsh prints microseconds)
        // are accepted and truncated to milliseconds.
        nanos = parse_hms(&mut c, false, 9).ok_or_else(err)?;
    }
    let offset = parse_zone(&mut c).ok_or_else(err)?;
    if !c.done() {
        return Err(err());
    }
    let ms = i128::from(days) * i128::from(MILLIS_PER_DAY) + i128::from(nanos / NANOS_PER_MILLI)
        - i128::from(offset);
    i64::try_from(ms).map_err(|_| err())
}

/// Parses a date string: `yyyy-mm-dd`, or an integer giving the raw unsigned value
/// (epoch = 2^31), as Cassandra's `SimpleDateSerializer`.
pub fn parse_date(s: &str) -> Result<u32, TypeError> {
    let t = s.trim();
    if is_integer(t) {
        return t
            .parse::<i64>()
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| {
                TypeError::InvalidValue(format!(
                    "Unable to make unsigned int (for date) from: '{s}'"
                ))
            });
    }
    let err =
        || TypeError::InvalidValue(format!("Unable to coerce '{s}' to a formatted date (long)"));
    let mut c = Cur {
        s: t.as_bytes(),
        pos: 0,
    };
    let days = parse_ymd(&mut c).ok_or_else(err)?;
    if !c.done() {
        return Err(err());
    }
    u32::try_from(days + i64::from(DATE_EPOCH)).map_err(|_| err())
}

/// Parses a time string `hh:mm:ss[.fffffffff]`, or integer nanoseconds.
pub fn parse_time(s: &str) -> Result<i64, TypeError> {
    let t = s.trim();
    if is_integer(t) {
        let v = t.parse::<i64>().map_err(|_| {
            TypeError::InvalidValue(format!("Unable to make long (for time) from: '{s}'"))
        })?;
        if !(0..NANOS_PER_DAY).contains(&v) {
            return Err(TypeError::InvalidValue(
                "Input long out of bounds: ".to_string() + t,
            ));
        }
        return Ok(v);
    }
    let err = || {
        TypeError::InvalidValue(format!(
            "(TimeType) Unable to coerce '{s}' to a formatted time (long)"
        ))
    };
    let mut c = Cur {
        s: t.as_bytes(),
        pos: 0,
    };
    let nanos = parse_hms(&mut c, true, 9).ok_or_else(err)?;
    if !c.done() {
        return Err(err());
    }
    Ok(nanos)
}

/// `yyyy-mm-dd` of a date value (epoch 2^31).
pub fn format_date(date: u32) -> String {
    let (y, m, d) = civil_from_days(i64::from(date) - i64::from(DATE_EPOCH));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `hh:mm:ss.fffffffff` of a time value.
pub fn format_time(nanos: i64) -> String {
    let n = nanos.rem_euclid(NANOS_PER_DAY);
    format!(
        "{:02}:{:02}:{:02}.{:09}",
        n / NANOS_PER_HOUR,
        n / NANOS_PER_MINUTE % 60,
        n / NANOS_PER_SECOND % 60,
        n % NANOS_PER_SECOND
    )
}

/// A timestamp as `yyyy-mm-dd hh:mm:ss.fff` followed by `frac_pad` extra zero digits
/// and `zone` (`+0000` for cqlsh's style, `Z` for JSON's).
pub fn format_timestamp(millis: i64, micro_digits: bool, zone: &str) -> String {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let ms = millis.rem_euclid(MILLIS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let frac = if micro_digits {
        format!("{:03}000", ms % 1000)
    } else {
        format!("{:03}", ms % 1000)
    };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{frac}{zone}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60
    )
}

/// The units of the standard duration format, largest first (Cassandra's order check
/// uses this order).
const UNITS: [(&str, &str); 10] = [
    ("y", "years"),
    ("mo", "months"),
    ("w", "weeks"),
    ("d", "days"),
    ("h", "hours"),
    ("m", "minutes"),
    ("s", "seconds"),
    ("ms", "milliseconds"),
    ("us", "microseconds"),
    ("ns", "nanoseconds"),
];

/// Accumulates duration parts with Cassandra's overflow and order checks.
#[derive(Default)]
struct DurationBuilder {
    months: i64,
    days: i64,
    nanos: i64,
    last_unit: Option<usize>,
}

impl DurationBuilder {
    fn add(&mut self, unit: usize, n: i64) -> Result<(), TypeError> {
        if let Some(last) = self.last_unit {
            let name_of = |i: usize| UNITS.get(i).map_or("?", |u| u.1);
            let name = name_of(last);
            if last == unit {
                return Err(TypeError::InvalidValue(format!(
                    "Invalid duration. The {name} are specified multiple times"
                )));
            }
            if last > unit {
                return Err(TypeError::InvalidValue(format!(
                    "Invalid duration. The {name} should be after {}",
                    name_of(unit)
                )));
            }
        }
        self.last_unit = Some(unit);
        let over = |what: &str, max: i64| {
            TypeError::InvalidValue(format!(
                "Invalid duration. The total number of {what} must be less or equal to {max}"
            ))
        };
        let mul = |n: i64, f: i64| n.checked_mul(f);
        match unit {
            0 | 1 => {
                let add = mul(n, if unit == 0 { 12 } else { 1 })
                    .ok_or_else(|| over("months", i32::MAX as i64))?;
                self.months = self
                    .months
                    .checked_add(add)
                    .filter(|v| *v <= i64::from(i32::MAX))
                    .ok_or_else(|| over("months", i32::MAX as i64))?;
            }
            2 | 3 => {
                let add = mul(n, if unit == 2 { 7 } else { 1 })
                    .ok_or_else(|| over("days", i32::MAX as i64))?;
                self.days = self
                    .days
                    .checked_add(add)
                    .filter(|v| *v <= i64::from(i32::MAX))
                    .ok_or_else(|| over("days", i32::MAX as i64))?;
            }
            _ => {
                let f = match unit {
                    4 => NANOS_PER_HOUR,
                    5 => NANOS_PER_MINUTE,
                    6 => NANOS_PER_SECOND,
                    7 => NANOS_PER_MILLI,
                    8 => NANOS_PER_MICRO,
                    _ => 1,
                };
                let add = mul(n, f).ok_or_else(|| over("nanoseconds", i64::MAX))?;
                self.nanos = self
                    .nanos
                    .checked_add(add)
                    .ok_or_else(|| over("nanoseconds", i64::MAX))?;
            }
        }
        Ok(())
    }

    fn build(self, negative: bool) -> (i32, i32, i64) {
        let sign = if negative { -1 } else { 1 };
        (
            (self.months * sign) as i32,
            (self.days * sign) as i32,
            self.nanos * sign,
        )
    }
}

fn unit_index(u: &str) -> Option<usize> {
    let u = u.to_lowercase();
    let u = if u == "µs" || u == "μs" {
        "us".to_string()
    } else {
        u
    };
    UNITS.iter().position(|(n, _)| *n == u)
}

/// Parses a duration constant: `1h30m`, `-2d`, `P1DT2H`, `P2W`, `P0001-02-03T04:05:06`.
/// Returns (months, days, nanoseconds), all of the same sign.
pub fn parse_duration(s: &str) -> Result<(i32, i32, i64), TypeError> {
    let err = || TypeError::InvalidValue(format!("Unable to convert '{s}' to a duration"));
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut b = DurationBuilder::default();
    if let Some(iso) = body.strip_prefix('P').or_else(|| body.strip_prefix('p')) {
        parse_iso_duration(iso, &mut b).ok_or_else(err)??;
        return Ok(b.build(negative));
    }
    let bytes = body.as_bytes();
    if bytes.is_empty() {
        return Err(err());
    }
    let mut pos = 0;
    while pos < bytes.len() {
        let start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        let n: i64 = body
            .get(start..pos)
            .and_then(|d| d.parse().ok())
            .ok_or_else(err)?;
        let ustart = pos;
        while bytes.get(pos).is_some_and(|c| !c.is_ascii_digit()) {
            pos += 1;
        }
        let unit = unit_index(body.get(ustart..pos).ok_or_else(err)?).ok_or_else(err)?;
        b.add(unit, n)?;
    }
    Ok(b.build(negative))
}

/// The ISO 8601 forms after `P`: `nYnMnDTnHnMnS`, `nW`, `yyyy-mm-ddThh:mm:ss`.
/// `None` = does not match the format; `Some(Err)` = an overflow.
fn parse_iso_duration(iso: &str, b: &mut DurationBuilder) -> Option<Result<(), TypeError>> {
    let bytes = iso.as_bytes();
    let at = |i: usize, c: u8| bytes.get(i) == Some(&c);
    if bytes.len() == 19
        && at(4, b'-')
        && at(7, b'-')
        && at(10, b'T')
        && at(13, b':')
        && at(16, b':')
    {
        let field = |r: std::ops::Range<usize>| {
            iso.get(r)
                .filter(|x| x.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|x| x.parse::<i64>().ok())
        };
        for (unit, r) in [
            (0, 0..4),
            (1, 5..7),
            (3, 8..10),
            (4, 11..13),
            (5, 14..16),
            (6, 17..19),
        ] {
            if let Err(e) = b.add(unit, field(r)?) {
                return Some(Err(e));
            }
        }
        return Some(Ok(()));
    }
    if let Some(w) = iso.strip_suffix('W').or_else(|| iso.strip_suffix('w')) {
        let n: i64 = w.parse().ok()?;
        return Some(b.add(2, n));
    }
    let (date, time) = match iso.find(['T', 't']) {
        Some(i) => (iso.get(..i)?, Some(iso.get(i + 1..)?)),
        None => (iso, None),
    };
    let mut any = false;
    let mut run = |part: &str, units: &[(u8, usize)]| -> Option<Result<(), TypeError>> {
        let mut rest = part;
        let mut next_unit = 0;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let n: i64 = rest.get(..digits)?.parse().ok()?;
            let u = rest.as_bytes().get(digits)?.to_ascii_uppercase();
            let k = units.iter().skip(next_unit).position(|(c, _)| *c == u)? + next_unit;
            next_unit = k + 1;
            if let Err(e) = b.add(units.get(k)?.1, n) {
                return Some(Err(e));
            }
            any = true;
            rest = rest.get(digits + 1..)?;
        }
        Some(Ok(()))
    };
    if let Err(e) = run(date, &[(b'Y', 0), (b'M', 1), (b'D', 3)])? {
        return Some(Err(e));
    }
    if let Some(t) = time {
        if t.is_empty() {
            return None;
        }
        if let Err(e) = run(t, &[(b'H', 4), (b'M', 5), (b'S', 6)])? {
            return Some(Err(e));
        }
    }
    any.then_some(Ok(()))
}

/// Cassandra's `Duration.toString`: `-1y2mo3d4h5m6s7ms8us9ns`, largest units first;
/// `0s` for the zero duration.
pub fn format_duration(months: i32, days: i32, nanos: i64) -> String {
    let mut s = String::new();
    if months < 0 || days < 0 || nanos < 0 {
        s.push('-');
    }
    let mut part = |v: u64, unit: &str| {
        if v != 0 {
            s.push_str(&format!("{v}{unit}"));
        }
    };
    let months = u64::from(months.unsigned_abs());
    part(months / 12, "y");
    part(months % 12, "mo");
    part(u64::from(days.unsigned_abs()), "d");
    let mut n = nanos.unsigned_abs();
    for (f, unit) in [
        (NANOS_PER_HOUR, "h"),
        (NANOS_PER_MINUTE, "m"),
        (NANOS_PER_SECOND, "s"),
        (NANOS_PER_MILLI, "ms"),
        (NANOS_PER_MICRO, "us"),
        (1, "ns"),
    ] {
        let f = f as u64;
        part(n / f, unit);
        n %= f;
    }
    if s.is_empty() || s == "-" {
        return "0s".into();
    }
    s
}

//! Human units in the YAML config: durations (`10s`, `250ms`, `2m`), sizes (`32MiB`,
//! `2GiB`) and rates (`64MiB/s`), as Cassandra 4.1+ writes them. Plain integers are
//! accepted too, in the unit the caller names (the legacy `_in_ms` / `_in_mb` keys).

use std::time::Duration;

use serde::Deserialize;

/// A YAML scalar that may be a bare number or a string with a unit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Human {
    Int(u64),
    Str(String),
}

/// Why a human value did not parse.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid {what} `{text}`: {why}")]
pub struct UnitError {
    pub what: &'static str,
    pub text: String,
    pub why: &'static str,
}

fn split_number(text: &str) -> Option<(u64, &str)> {
    let t = text.trim();
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if end == 0 {
        return None;
    }
    let n = t[..end].parse().ok()?;
    Some((n, t[end..].trim()))
}

/// Parses `10s`, `250ms`, `2m`, `1h`, `1d`, `500us`; a bare integer means `default_unit`.
pub fn parse_duration(h: &Human, default_unit: Duration) -> Result<Duration, UnitError> {
    let err = |why| UnitError {
        what: "duration",
        text: display(h),
        why,
    };
    let (n, unit) = match h {
        Human::Int(n) => return Ok(default_unit.saturating_mul(clamp_u32(*n))),
        Human::Str(s) => {
            split_number(s).ok_or_else(|| err("expected a number followed by a unit"))?
        }
    };
    let d = match unit.to_ascii_lowercase().as_str() {
        "" => default_unit.saturating_mul(clamp_u32(n)),
        "ns" => Duration::from_nanos(n),
        "us" | "µs" => Duration::from_micros(n),
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        "d" => Duration::from_secs(n.saturating_mul(86_400)),
        _ => return Err(err("unknown unit (use ns, us, ms, s, m, h or d)")),
    };
    Ok(d)
}

/// Parses `32MiB`, `2GiB`, `512KiB`, `100B` (also `MB`/`GB`, read as binary units like
/// Cassandra does); a bare integer means `default_unit` bytes each.
pub fn parse_size(h: &Human, default_unit: u64) -> Result<u64, UnitError> {
    let err = |why| UnitError {
        what: "size",
        text: display(h),
        why,
    };
    let (n, unit) = match h {
        Human::Int(n) => return Ok(n.saturating_mul(default_unit)),
        Human::Str(s) => {
            split_number(s).ok_or_else(|| err("expected a number followed by a unit"))?
        }
    };
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" => default_unit,
        "b" => 1,
        "kib" | "kb" | "k" => 1 << 10,
        "mib" | "mb" | "m" => 1 << 20,
        "gib" | "gb" | "g" => 1 << 30,
        "tib" | "tb" | "t" => 1 << 40,
        _ => return Err(err("unknown unit (use B, KiB, MiB, GiB or TiB)")),
    };
    n.checked_mul(mult).ok_or_else(|| err("too large"))
}

/// Parses a rate such as `64MiB/s` into bytes per second; a bare integer means
/// `default_unit` bytes per second (`compaction_throughput_mb_per_sec`). 0 = unthrottled.
pub fn parse_rate(h: &Human, default_unit: u64) -> Result<u64, UnitError> {
    match h {
        Human::Int(_) => parse_size(h, default_unit),
        Human::Str(s) => {
            let t = s.trim();
            let size = t.strip_suffix("/s").ok_or_else(|| UnitError {
                what: "rate",
                text: t.to_string(),
                why: "expected a size per second such as 64MiB/s",
            })?;
            parse_size(&Human::Str(size.to_string()), default_unit)
        }
    }
}

fn clamp_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn display(h: &Human) -> String {
    match h {
        Human::Int(n) => n.to_string(),
        Human::Str(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Human {
        Human::Str(x.to_string())
    }

    #[test]
    fn durations_parse_with_units() {
        let ms = Duration::from_millis(1);
        assert_eq!(parse_duration(&s("10s"), ms), Ok(Duration::from_secs(10)));
        assert_eq!(
            parse_duration(&s("250ms"), ms),
            Ok(Duration::from_millis(250))
        );
        assert_eq!(parse_duration(&s("2m"), ms), Ok(Duration::from_secs(120)));
        assert_eq!(
            parse_duration(&Human::Int(1500), ms),
            Ok(Duration::from_millis(1500))
        );
        assert!(parse_duration(&s("10 parsecs"), ms).is_err());
        assert!(parse_duration(&s("s"), ms).is_err());
    }

    #[test]
    fn sizes_and_rates_parse_with_units() {
        assert_eq!(parse_size(&s("32MiB"), 1), Ok(32 << 20));
        assert_eq!(parse_size(&s("2GiB"), 1), Ok(2 << 30));
        assert_eq!(parse_size(&Human::Int(16), 1 << 20), Ok(16 << 20));
        assert_eq!(parse_rate(&s("64MiB/s"), 1), Ok(64 << 20));
        assert_eq!(parse_rate(&Human::Int(0), 1 << 20), Ok(0));
        assert!(parse_rate(&s("64MiB"), 1).is_err());
        assert!(parse_size(&s("12 bananas"), 1).is_err());
    }
}

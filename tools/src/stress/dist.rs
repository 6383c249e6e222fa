//! Where the keys and sizes of operations come from: the population (`-pop seq=1..N`,
//! `dist=uniform(1..N)`, `gaussian(1..N[,stdvrng])`, `zipf(1..N[,exponent])`) and the
//! size distributions of columns (`fixed(34)`, `uniform(10..100)`), plus the cheap
//! random generator every worker owns. Owns no sockets.

use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{args, Result};

/// splitmix64: a tiny, fast, well-mixed generator. Per-op randomness must cost a few
/// nanoseconds, and reproducing `rand`'s SmallRng for that is not worth a feature flag.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n) (n > 0), by multiply-shift (bias is negligible for n << 2^64).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// The splitmix64 finalizer: also used to derive column values from a key deterministically.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How keys are drawn, inclusive bounds.
#[derive(Debug, Clone, PartialEq)]
pub enum Population {
    /// Each key in turn, shared by all workers, wrapping around at `hi`.
    Seq {
        lo: u64,
        hi: u64,
    },
    Uniform {
        lo: u64,
        hi: u64,
    },
    /// Mean in the middle, `stdvrng` standard deviations from the mean to either bound
    /// (cassandra-stress's GAUSSIAN(min..max,stdvrng), default 3); clamped to the range.
    Gaussian {
        lo: u64,
        hi: u64,
        stdvrng: f64,
    },
    /// Rank 1 (= `lo`) is the most popular; exponent default 1.
    Zipf {
        lo: u64,
        hi: u64,
        exponent: f64,
    },
}

impl Population {
    /// Parses the argument of `-pop`: `seq=1..N` or `dist=NAME(lo..hi[,param])`.
    pub fn parse(s: &str) -> Result<Population> {
        let lower = s.to_ascii_lowercase();
        if let Some(range) = lower.strip_prefix("seq=") {
            let (lo, hi) = parse_range(range, s)?;
            return Ok(Population::Seq { lo, hi });
        }
        let Some(spec) = lower.strip_prefix("dist=") else {
            return args(format!(
                "-pop: expected seq=LO..HI or dist=uniform|gaussian|zipf(LO..HI), got '{s}'"
            ));
        };
        let (name, inner) = split_call(spec)
            .ok_or_else(|| super::error::StressError::Args(format!("-pop: cannot parse '{s}'")))?;
        let mut parts = inner.split(',');
        let (lo, hi) = parse_range(parts.next().unwrap_or(""), s)?;
        let param = match parts.next() {
            Some(p) => Some(p.trim().parse::<f64>().map_err(|_| {
                super::error::StressError::Args(format!("-pop: bad parameter '{p}' in '{s}'"))
            })?),
            None => None,
        };
        Ok(match name {
            "uniform" => Population::Uniform { lo, hi },
            "gaussian" | "normal" => Population::Gaussian {
                lo,
                hi,
                stdvrng: param.unwrap_or(3.0),
            },
            "zipf" => {
                let exponent = param.unwrap_or(1.0);
                if exponent <= 0.0 {
                    return args(format!("-pop: zipf exponent must be > 0 in '{s}'"));
                }
                Population::Zipf { lo, hi, exponent }
            }
            other => {
                return args(format!(
                    "-pop: unknown distribution '{other}' (uniform, gaussian, zipf)"
                ))
            }
        })
    }

    pub fn bounds(&self) -> (u64, u64) {
        match *self {
            Population::Seq { lo, hi }
            | Population::Uniform { lo, hi }
            | Population::Gaussian { lo, hi, .. }
            | Population::Zipf { lo, hi, .. } => (lo, hi),
        }
    }
}

/// A population ready to draw from; shared by all workers (the sequence counter is).
#[derive(Debug)]
pub struct KeySource {
    pop: Population,
    seq: AtomicU64,
    zipf: Option<Zipf>,
}

impl KeySource {
    pub fn new(pop: Population) -> KeySource {
        let zipf = match pop {
            Population::Zipf { lo, hi, exponent } => Some(Zipf::new(hi - lo + 1, exponent)),
            _ => None,
        };
        KeySource {
            pop,
            seq: AtomicU64::new(0),
            zipf,
        }
    }

    pub fn next(&self, rng: &mut Rng) -> u64 {
        match self.pop {
            Population::Seq { lo, hi } => {
                let i = self.seq.fetch_add(1, Ordering::Relaxed);
                lo + i % (hi - lo + 1)
            }
            Population::Uniform { lo, hi } => lo + rng.below(hi - lo + 1),
            Population::Gaussian { lo, hi, stdvrng } => {
                let mean = (lo as f64 + hi as f64) / 2.0;
                let stdev = (hi - lo) as f64 / 2.0 / stdvrng;
                // Box-Muller; one of the pair is enough here.
                let u1 = rng.next_f64().max(f64::MIN_POSITIVE);
                let u2 = rng.next_f64();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                (mean + z * stdev).round().clamp(lo as f64, hi as f64) as u64
            }
            Population::Zipf { lo, .. } => lo + self.zipf.as_ref().map_or(0, |z| z.sample(rng) - 1),
        }
    }
}

/// Zipf over ranks 1..=n by rejection-inversion (Hörmann & Derflinger 1996): O(1) per
/// sample and no table, so a population of 10^9 keys costs nothing to set up.
#[derive(Debug)]
struct Zipf {
    n: f64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    s_val: f64,
}

impl Zipf {
    fn new(n: u64, s: f64) -> Zipf {
        let mut z = Zipf {
            n: n as f64,
            s,
            h_integral_x1: 0.0,
            h_integral_n: 0.0,
            s_val: 0.0,
        };
        z.h_integral_x1 = z.h_integral(1.5) - 1.0;
        z.h_integral_n = z.h_integral(z.n + 0.5);
        z.s_val = 2.0 - z.h_integral_inverse(z.h_integral(2.5) - z.h(2.0));
        z
    }

    fn sample(&self, rng: &mut Rng) -> u64 {
        loop {
            let u = self.h_integral_n + rng.next_f64() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inverse(u);
            let k = (x + 0.5).floor().clamp(1.0, self.n);
            if k - x <= self.s_val || u >= self.h_integral(k + 0.5) - self.h(k) {
                return k as u64;
            }
        }
    }

    fn h(&self, x: f64) -> f64 {
        (-self.s * x.ln()).exp()
    }

    fn h_integral(&self, x: f64) -> f64 {
        let log_x = x.ln();
        helper2((1.0 - self.s) * log_x) * log_x
    }

    fn h_integral_inverse(&self, x: f64) -> f64 {
        let t = (x * (1.0 - self.s)).max(-1.0);
        (helper1(t) * x).exp()
    }
}

/// ln(1+x)/x, accurate near 0.
fn helper1(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.ln_1p() / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// (e^x - 1)/x, accurate near 0.
fn helper2(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.exp_m1() / x
    } else {
        1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x))
    }
}

/// A size (bytes of a value, number of columns): `fixed(N)` or `uniform(LO..HI)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeDist {
    Fixed(u64),
    Uniform(u64, u64),
}

impl SizeDist {
    pub fn parse(s: &str) -> Result<SizeDist> {
        let lower = s.to_ascii_lowercase();
        let Some((name, inner)) = split_call(&lower) else {
            return args(format!("expected fixed(N) or uniform(LO..HI), got '{s}'"));
        };
        match name {
            "fixed" => inner
                .trim()
                .parse()
                .map(SizeDist::Fixed)
                .map_err(|_| super::error::StressError::Args(format!("bad number in '{s}'"))),
            "uniform" => {
                let (lo, hi) = parse_range(inner, s)?;
                Ok(SizeDist::Uniform(lo, hi))
            }
            other => args(format!(
                "unknown size distribution '{other}' in '{s}' (fixed, uniform)"
            )),
        }
    }

    /// The size for a given key: deterministic, so a value can be regenerated.
    pub fn for_seed(&self, seed: u64) -> u64 {
        match *self {
            SizeDist::Fixed(n) => n,
            SizeDist::Uniform(lo, hi) => lo + mix(seed) % (hi - lo + 1),
        }
    }

    pub fn max(&self) -> u64 {
        match *self {
            SizeDist::Fixed(n) => n,
            SizeDist::Uniform(_, hi) => hi,
        }
    }
}

/// `name(inner)` -> (name, inner).
pub(crate) fn split_call(s: &str) -> Option<(&str, &str)> {
    let open = s.find('(')?;
    let inner = s[open + 1..].strip_suffix(')')?;
    Some((s[..open].trim(), inner))
}

/// `LO..HI` with LO <= HI; `orig` is quoted in the error.
fn parse_range(r: &str, orig: &str) -> Result<(u64, u64)> {
    let bad = || super::error::StressError::Args(format!("expected LO..HI in '{orig}'"));
    let (lo, hi) = r.trim().split_once("..").ok_or_else(bad)?;
    let lo: u64 = lo.trim().parse().map_err(|_| bad())?;
    let hi: u64 = hi.trim().parse().map_err(|_| bad())?;
    if lo > hi {
        return args(format!("empty range in '{orig}': {lo} > {hi}"));
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_walks_the_range_and_wraps() {
        let k = KeySource::new(Population::parse("seq=1..3").unwrap());
        let mut r = Rng::new(1);
        let got: Vec<u64> = (0..5).map(|_| k.next(&mut r)).collect();
        assert_eq!(got, vec![1, 2, 3, 1, 2]);
    }

    #[test]
    fn distributions_stay_in_range() {
        for spec in [
            "dist=uniform(5..10)",
            "dist=gaussian(5..10)",
            "dist=zipf(5..10)",
            "dist=zipf(5..10,1.5)",
        ] {
            let k = KeySource::new(Population::parse(spec).unwrap());
            let mut r = Rng::new(7);
            for _ in 0..10_000 {
                let v = k.next(&mut r);
                assert!((5..=10).contains(&v), "{spec}: {v}");
            }
        }
    }

    #[test]
    fn zipf_favours_low_ranks() {
        let k = KeySource::new(Population::parse("dist=zipf(1..1000)").unwrap());
        let mut r = Rng::new(3);
        let ones = (0..100_000).filter(|_| k.next(&mut r) == 1).count();
        // P(rank 1) = 1/H(1000) ~ 0.134 for exponent 1.
        assert!((11_000..16_000).contains(&ones), "{ones}");
    }

    #[test]
    fn bad_specs_are_refused_clearly() {
        assert!(Population::parse("seq=10..1").is_err());
        assert!(Population::parse("dist=poisson(1..3)").is_err());
        assert!(Population::parse("1..3").is_err());
        assert!(SizeDist::parse("fixed(x)").is_err());
        assert_eq!(SizeDist::parse("FIXED(34)").unwrap(), SizeDist::Fixed(34));
    }
}

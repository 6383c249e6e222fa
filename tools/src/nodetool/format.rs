//! Output helpers shaped like Cassandra's nodetool: sizes as `104.84 KiB`, tables as
//! left-aligned columns separated by two spaces.

/// Cassandra's `FileUtils.stringifyFileSize`: bytes below 1 KiB, else two decimals.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.2} {unit}")
}

/// Rows of cells as aligned columns (the last column is not padded).
pub fn columns(rows: &[Vec<String>]) -> String {
    let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..ncols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                let w = widths.get(i).copied().unwrap_or(0);
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `1.0` -> `100.0%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_cassandras() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(107_356), "104.84 KiB");
        assert_eq!(size(5 << 30), "5.00 GiB");
    }

    #[test]
    fn columns_align_on_the_widest_cell() {
        let out = columns(&[
            vec!["--".into(), "Address".into(), "Rack".into()],
            vec!["UN".into(), "127.0.0.1".into(), "rack1".into()],
        ]);
        assert_eq!(out, "--  Address    Rack\nUN  127.0.0.1  rack1\n");
    }
}

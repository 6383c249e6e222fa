//! Every Murmur3 token vector from ../shared/reference/murmur3-vectors.tsv.

use gossip::murmur3_token;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn murmur3_matches_every_cassandra_vector() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/murmur3-vectors.tsv");
    let text = std::fs::read_to_string(path).expect("vectors file");
    let mut checked = 0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let mut cols = line.split('\t');
        let key = hex(cols.next().expect("key column"));
        let token: i64 = cols.next().expect("token column").parse().expect("token");
        assert_eq!(murmur3_token(&key), token, "key {}", line);
        checked += 1;
    }
    assert_eq!(checked, 106, "all vectors read");
}

//! Every statement of the CQL reference examples parses
//! (../shared/reference/cql/examples/CQL).

use super::*;
use std::path::PathBuf;

/// Files that are not CQL statements, with the reason.
const EXCLUDED: &[(&str, &str)] = &[
    (
        "no_revoke.cql",
        "a bullet list of system table names, not statements",
    ),
    (
        "spec_retry_values.cql",
        "speculative_retry option values, not statements",
    ),
    (
        "function_dollarsign.cql",
        "`...` placeholders inside the statements",
    ),
    (
        "function_overload.cql",
        "`...` placeholders inside the statements",
    ),
    (
        "function_udfcontext.cql",
        "markdown escapes in a name (`fct\\_using\\_udt`)",
    ),
    (
        "create_ks_trans_repl.cql",
        "typo `'3/1''` leaves a string unterminated (Cassandra rejects it too)",
    ),
];

fn examples_dir() -> Option<PathBuf> {
    // The reference tree sits beside the repository (or beside the worktrees' parent):
    // look in every ancestor of the crate.
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .map(|a| a.join("shared/reference/cql/examples/CQL"))
        .find(|d| d.is_dir())
}

#[test]
fn reference_examples_parse() {
    let Some(dir) = examples_dir() else {
        // The reference tree lives next to the repository on the build machine only.
        eprintln!("reference examples not found; skipping");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("read examples dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cql"))
        .collect();
    files.sort();
    assert!(
        files.len() > 100,
        "expected the ~109 reference examples, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    let mut statements = 0;
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if EXCLUDED.iter().any(|(f, _)| *f == name) {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("read example");
        // A few files omit the `;` between statements (list.cql, vector.cql,
        // select_statement.cql); then each blank-line-separated paragraph must parse.
        let parsed = parse_statements(&text).or_else(|_| {
            text.split("\n\n").try_fold(Vec::new(), |mut acc, chunk| {
                acc.extend(parse_statements(chunk)?);
                Ok::<_, ParseError>(acc)
            })
        });
        match parsed {
            Ok(v) => {
                assert!(!v.is_empty(), "{name}: no statement");
                statements += v.len();
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} files failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(statements > 150, "only {statements} statements parsed");
}

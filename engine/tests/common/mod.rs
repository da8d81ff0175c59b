//! Helpers shared by the integration tests: a data-file checker with a rewrite flag.

#![allow(dead_code)]

use std::path::PathBuf;

/// Path of a file in `engine/testdata`.
pub fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// True when expected files should be regenerated (`DSLAB_REWRITE=1 cargo test`).
pub fn rewrite() -> bool {
    std::env::var("DSLAB_REWRITE").is_ok_and(|v| v == "1")
}

/// Compare `actual` with the file's contents, or rewrite the file when asked.
pub fn check_file(name: &str, actual: &str) {
    let path = testdata(name);
    if rewrite() {
        std::fs::write(&path, actual).expect("write expected file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}: run with DSLAB_REWRITE=1", path.display()));
    if expected != actual {
        let diff = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .unwrap_or_else(|| "lengths differ".to_string());
        panic!(
            "{} does not match ({diff}); DSLAB_REWRITE=1 regenerates it",
            path.display()
        );
    }
}

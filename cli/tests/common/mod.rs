//! What the CLI's integration tests share: running `dslab`.

use std::process::Command;

/// Runs `dslab` with `args`: (exit code, stdout, stderr).
pub fn dslab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dslab"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

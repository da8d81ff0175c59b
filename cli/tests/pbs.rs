//! `dslab bench-pbs`: usage.

mod common;
use common::dslab;

#[test]
fn bench_pbs_refuses_arguments() {
    let (code, _, err) = dslab(&["bench-pbs", "--seeds", "3"]);
    assert_eq!(code, 2);
    assert!(err.contains("bench-pbs takes no arguments"), "{err}");
}

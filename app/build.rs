//! Compiles `content/*.md` into the course data the app embeds. A content mistake fails the
//! build with `content/file.md:line: message`, so a broken chapter never ships.

use std::path::Path;

fn main() {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    for dir in [
        content.clone(),
        content.join("histories"),
        content.join("pages"),
    ] {
        println!("cargo:rerun-if-changed={}", dir.display());
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                println!("cargo:rerun-if-changed={}", entry.path().display());
            }
        }
    }
    let course = match contentc::compile_dir(&content) {
        Ok(course) => course,
        Err(errors) => {
            for error in &errors {
                eprintln!("error: {error}");
            }
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!(
                "the content has {} error(s):\n{}",
                errors.len(),
                list.join("\n")
            );
        }
    };
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("course.json");
    // The index only: chapter bodies are separate files (written by the `contentc` binary that
    // Trunk runs after the build) fetched when a chapter opens.
    let (index, _) = contentc::split(&course);
    std::fs::write(&out, contentc::to_json(&index)).expect("OUT_DIR is writable");
}

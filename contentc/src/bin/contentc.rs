//! `contentc <content dir> <out dir>`: compiles the course and writes each chapter's body to
//! `<out dir>/chapters/<slug>.<hash>.json`, the files the app fetches when a chapter opens.
//! Trunk runs it after every build (see `Trunk.toml`); the index the app embeds comes from the
//! same compiler in `app/build.rs`, so the names agree.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [content, out] = args.as_slice() else {
        eprintln!("usage: contentc <content dir> <out dir>");
        return ExitCode::from(2);
    };
    let course = match contentc::compile_dir(&PathBuf::from(content)) {
        Ok(course) => course,
        Err(errors) => {
            for error in &errors {
                eprintln!("error: {error}");
            }
            return ExitCode::FAILURE;
        }
    };
    let (_, files) = contentc::split(&course);
    let out = PathBuf::from(out);
    for (path, json) in &files {
        let path = out.join(path);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, json));
        if let Err(err) = written {
            eprintln!("error: cannot write {}: {err}", path.display());
            return ExitCode::FAILURE;
        }
    }
    println!("contentc: wrote {} chapter bodies", files.len());
    ExitCode::SUCCESS
}

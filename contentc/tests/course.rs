//! The real content compiles, and the compiler rejects broken folders as a whole.

use std::path::{Path, PathBuf};

use contentc::{compile_dir, Block};

fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

#[test]
fn the_course_content_compiles_into_the_seven_chapters_of_the_agenda() {
    let course = compile_dir(&content_dir()).unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let numbers: Vec<u8> = course.chapters.iter().map(|c| c.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7]);
    let hours: Vec<u8> = course.chapters.iter().map(|c| c.hours).collect();
    assert_eq!(
        hours,
        [2, 2, 2, 3, 2, 2, 3],
        "the workshop's time per chapter"
    );
    for chapter in &course.chapters {
        assert!(
            chapter.sections.len() >= 3,
            "{} has a table of contents",
            chapter.slug
        );
        assert!(
            !chapter.quizzes.is_empty(),
            "{} has a self-check",
            chapter.slug
        );
        let prose: usize = chapter
            .blocks
            .iter()
            .map(|b| match b {
                Block::Html(html) => html.len(),
                _ => 0,
            })
            .sum();
        assert!(
            prose > 2_000,
            "{} has real prose ({prose} bytes)",
            chapter.slug
        );
    }
}

#[test]
fn chapter_2_asks_to_classify_histories_from_simple_to_a_real_etcd_run() {
    let course = compile_dir(&content_dir()).expect("the content compiles");
    let chapter = &course.chapters[1];
    let exercises: Vec<&contentc::ClassifyEmbed> = chapter
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Classify(embed) => Some(embed),
            _ => None,
        })
        .collect();
    let [embed] = exercises.as_slice() else {
        panic!(
            "chapter 2 has one classify exercise, found {}",
            exercises.len()
        )
    };
    assert!(embed.histories.len() >= 8, "at least eight histories");
    assert_eq!(chapter.exercises.len(), embed.histories.len());
    // Every model is broken by some history and kept by another, so no box is always right.
    for model in contentc::CLASSIFY_MODELS {
        let holds =
            |h: &&contentc::ClassifyHistory| h.answers.iter().any(|a| a.model == model && a.holds);
        assert!(
            embed.histories.iter().any(|h| holds(&h)),
            "{model:?} never holds"
        );
        assert!(
            embed.histories.iter().any(|h| !holds(&h)),
            "{model:?} is never violated"
        );
    }
    let first = &embed.histories[0];
    assert!(
        first.answers.iter().all(|a| a.holds),
        "the first history is linearizable"
    );
    let last = embed.histories.last().unwrap();
    assert!(
        last.file.contains("etcd"),
        "the last is the real one: {}",
        last.file
    );
    let lin = &last.answers[0];
    assert!(
        !lin.holds && lin.sentence.starts_with("stale read"),
        "{}",
        lin.sentence
    );
    assert!(!lin.operations.is_empty());
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("contentc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const FRONT: &str = "---\ntitle: T\nhours: 2\nsummary: S\n---\n";

#[test]
fn a_folder_with_broken_links_and_gaps_reports_every_error() {
    let dir = scratch("broken");
    std::fs::write(
        dir.join("01-first.md"),
        format!("{FRONT}## Intro\n\nSee [two](02-second.md#nowhere) and [three](03-third.md).\n"),
    )
    .unwrap();
    std::fs::write(dir.join("02-second.md"), format!("{FRONT}## Body\n")).unwrap();
    std::fs::write(dir.join("04-fourth.md"), format!("{FRONT}## Body\n")).unwrap();
    let errors = compile_dir(&dir).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 3, "{text:#?}");
    assert!(text
        .iter()
        .any(|e| e.contains("04-fourth.md") && e.contains("expected 03")));
    assert!(text
        .iter()
        .any(|e| e.starts_with("content/01-first.md:8:") && e.contains("`02-second.md#nowhere`")));
    assert!(text
        .iter()
        .any(|e| e.starts_with("content/01-first.md:8:") && e.contains("`03-third.md`")));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_good_folder_compiles_with_links_rewritten_to_routes() {
    let dir = scratch("good");
    std::fs::write(
        dir.join("01-first.md"),
        format!("{FRONT}## Intro\n\n[Body](02-second.md#body)\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("02-second.md"),
        format!("{FRONT}## Body\n\n[Back](01-first.md)\n"),
    )
    .unwrap();
    let course = compile_dir(&dir).unwrap();
    let Block::Html(html) = &course.chapters[0].blocks[0] else {
        panic!()
    };
    assert!(html.contains("href=\"#/chapter/second/body\""), "{html}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_glossary_holds_every_chapters_terms_once_with_where_each_is_taught() {
    let course = compile_dir(&content_dir()).expect("the content compiles");
    let glossary = &course.glossary;
    for chapter in &course.chapters {
        let owned = glossary
            .iter()
            .filter(|t| t.chapter == chapter.number)
            .count();
        assert!(
            owned >= 5,
            "chapter {} defines {owned} terms",
            chapter.number
        );
    }
    let mut ids: Vec<&str> = glossary.iter().map(|t| t.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), glossary.len(), "one entry per term");
    let fencing = glossary
        .iter()
        .find(|t| t.id == "fencing-token")
        .expect("chapter 1 defines fencing tokens");
    assert_eq!(fencing.chapter, 1);
    assert_eq!(
        fencing.also.iter().map(|a| a.chapter).collect::<Vec<_>>(),
        [3],
        "chapter 3 refines it and says so"
    );
    let taught = glossary.iter().filter(|t| t.section.is_some()).count();
    assert!(
        taught * 10 >= glossary.len() * 8,
        "most terms are used (and linked) in their chapter's prose: {taught} of {}",
        glossary.len()
    );
    let untaught: Vec<&str> = glossary
        .iter()
        .filter(|t| t.section.is_none())
        .map(|t| t.term.as_str())
        .collect();
    println!("terms whose chapter never uses them in prose: {untaught:?}");
}

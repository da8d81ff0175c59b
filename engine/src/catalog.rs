//! The names content may refer to: simulation scenarios, challenges and debugging puzzles.
//!
//! The content pipeline validates every ```sim and ```challenge directive against this catalog,
//! so a chapter can never embed something that does not exist.

/// Ids of the simulation scenarios the engine can run.
pub fn scenario_ids() -> Vec<&'static str> {
    crate::scenarios::scenario_ids()
}

/// Ids of the code challenges the engine can check.
pub fn challenge_ids() -> Vec<&'static str> {
    crate::challenge::challenges()
        .iter()
        .map(|c| c.id.as_str())
        .collect()
}

pub use crate::protocols::services::scenarios::{Choice, Puzzle};

/// The debugging puzzles, each asked under its scenario (a ```puzzle directive).
pub fn puzzles() -> &'static [Puzzle] {
    &crate::protocols::services::scenarios::PUZZLES
}

/// The id among `known` that a mistyped `id` most likely meant: the one fewest
/// single-character edits away, if that is at most a third of its length (at least 2 edits
/// are allowed). Pure, so the app can correct a shared link's id against its own index.
pub fn closest<'a>(id: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (edit_distance(id, k), k))
        .filter(|(d, k)| *d <= (k.chars().count() / 3).max(2))
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

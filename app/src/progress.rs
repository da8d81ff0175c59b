//! The learner's progress: quiz answers, challenge results and the histories classified, kept in
//! `localStorage`.
//!
//! Invariant: stored data is never silently dropped. Data that does not parse, or that has a
//! format version this build does not know, is copied to a backup key and reported to the
//! learner before a fresh record replaces it.

use std::collections::BTreeMap;

use contentc::{Chapter, ExerciseKey};
use serde::{Deserialize, Serialize};

/// The storage key of the current record.
pub const STORAGE_KEY: &str = "dslab.progress";
/// The format version this build writes.
pub const FORMAT_VERSION: u32 = 1;

/// Everything the site remembers about a learner.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The format version.
    pub version: u32,
    /// Quiz id → the index of the answer chosen last.
    #[serde(default)]
    pub quizzes: BTreeMap<String, usize>,
    /// Challenge id → whether the learner's code passed.
    #[serde(default)]
    pub challenges: BTreeMap<String, bool>,
    /// "Classify this history" exercise id → the models ticked at the last check (their
    /// names, e.g. `read-your-writes`). Left out of the record while empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub classify: BTreeMap<String, Vec<String>>,
}

/// Where a challenge's code is saved: this prefix and the challenge id.
pub const CODE_KEY_PREFIX: &str = "dslab.code.";
/// The `format` field of an exported progress file.
pub const EXPORT_FORMAT: &str = "dslab-progress";
/// The largest progress file an import reads (bytes).
pub const EXPORT_FILE_BYTES_MAX: usize = 2_000_000;

/// A progress file: the record and every challenge's code, so a learner can move to another
/// browser or keep a copy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Export {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    /// Quiz answers and challenge results.
    pub progress: Progress,
    /// Challenge id → the learner's code.
    #[serde(default)]
    pub code: BTreeMap<String, String>,
}

impl Export {
    /// The file's text (pretty JSON, so it diffs and reads well).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("exports always serialize")
    }

    /// Reads a progress file; every problem is a sentence for the learner.
    pub fn from_json(text: &str) -> Result<Export, String> {
        if text.len() > EXPORT_FILE_BYTES_MAX {
            return Err(format!(
                "This file is larger than a progress file can be ({} MB at most).",
                EXPORT_FILE_BYTES_MAX / 1_000_000
            ));
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("This is not a progress file: it is not JSON ({e})."))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(EXPORT_FORMAT) {
            return Err(format!(
                "This is not a progress file: it has no \"format\": \"{EXPORT_FORMAT}\"."
            ));
        }
        let export: Export = serde_json::from_value(value)
            .map_err(|e| format!("This progress file is damaged ({e})."))?;
        if export.progress.version != FORMAT_VERSION {
            return Err(format!(
                "This progress file has format version {}, which this version of the site cannot read.",
                export.progress.version
            ));
        }
        if let Some(id) = export
            .code
            .keys()
            .find(|id| id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(format!(
                "This progress file is damaged: \"{id}\" is not a challenge id."
            ));
        }
        Ok(export)
    }
}

/// What loading found.
#[derive(Debug, PartialEq)]
pub struct Loaded {
    /// The progress to use.
    pub progress: Progress,
    /// Set when the stored data could not be used: a message for the learner.
    pub problem: Option<String>,
}

impl Progress {
    /// An empty record in the current format.
    pub fn new() -> Self {
        Progress {
            version: FORMAT_VERSION,
            ..Progress::default()
        }
    }

    /// Interprets what storage holds (`None`: nothing stored yet).
    pub fn load(stored: Option<&str>) -> Loaded {
        let Some(text) = stored else {
            return Loaded {
                progress: Progress::new(),
                problem: None,
            };
        };
        let problem = match serde_json::from_str::<Progress>(text) {
            Ok(progress) if progress.version == FORMAT_VERSION => {
                return Loaded {
                    progress,
                    problem: None,
                }
            }
            Ok(progress) => format!(
                "Saved progress has format version {}, which this version of the site cannot read.",
                progress.version
            ),
            Err(err) => format!("Saved progress is damaged ({err})."),
        };
        Loaded {
            progress: Progress::new(),
            problem: Some(problem),
        }
    }

    /// The record as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("progress always serializes")
    }

    /// How far the learner is in one chapter.
    pub fn chapter(&self, chapter: &Chapter) -> ChapterProgress {
        let quizzes_right = chapter
            .quizzes
            .iter()
            .filter(|quiz| {
                self.quizzes
                    .get(&quiz.id)
                    .is_some_and(|answer| quiz.right.contains(answer))
            })
            .count();
        let challenges_passed = chapter
            .challenges
            .iter()
            .filter(|id| self.challenges.get(id.as_str()).copied().unwrap_or(false))
            .count();
        let exercises_solved = chapter
            .exercises
            .iter()
            .filter(|key| self.solved(key))
            .count();
        ChapterProgress {
            quizzes_right,
            quizzes_total: chapter.quizzes.len(),
            challenges_passed,
            challenges_total: chapter.challenges.len(),
            exercises_solved,
            exercises_total: chapter.exercises.len(),
        }
    }

    /// Whether the models ticked at the last check of an exercise are exactly those that hold.
    pub fn solved(&self, key: &ExerciseKey) -> bool {
        self.classify.get(&key.id).is_some_and(|ticked| {
            ticked.len() == key.holds.len()
                && key
                    .holds
                    .iter()
                    .all(|m| ticked.iter().any(|t| t == m.name()))
        })
    }
}

/// Counts for one chapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChapterProgress {
    /// Quizzes whose last answer was right.
    pub quizzes_right: usize,
    /// Quizzes in the chapter.
    pub quizzes_total: usize,
    /// Challenges passed.
    pub challenges_passed: usize,
    /// Challenges in the chapter.
    pub challenges_total: usize,
    /// Histories classified right at their last check.
    pub exercises_solved: usize,
    /// Histories to classify in the chapter.
    pub exercises_total: usize,
}

impl ChapterProgress {
    /// Done items over all items, in percent (0 when the chapter has nothing to do).
    pub fn percent(&self) -> u32 {
        let total = self.quizzes_total + self.challenges_total + self.exercises_total;
        let done = self.quizzes_right + self.challenges_passed + self.exercises_solved;
        (done * 100)
            .checked_div(total)
            .map_or(0, |percent| u32::try_from(percent).unwrap_or(100))
    }

    /// A short label, e.g. "2/3 questions · 1/8 histories · 0/1 challenges".
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if self.quizzes_total > 0 {
            parts.push(format!(
                "{}/{} questions",
                self.quizzes_right, self.quizzes_total
            ));
        }
        if self.exercises_total > 0 {
            parts.push(format!(
                "{}/{} histories",
                self.exercises_solved, self.exercises_total
            ));
        }
        if self.challenges_total > 0 {
            parts.push(format!(
                "{}/{} challenges",
                self.challenges_passed, self.challenges_total
            ));
        }
        if parts.is_empty() {
            "Nothing to check yet".to_string()
        } else {
            parts.join(" · ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contentc::QuizKey;
    use engine::consistency::ConsistencyModel;

    fn chapter() -> Chapter {
        Chapter {
            number: 1,
            slug: "hard".into(),
            title: "Hard".into(),
            hours: 2,
            summary: "s".into(),
            sections: vec![],
            quizzes: vec![
                QuizKey {
                    id: "hard/q1".into(),
                    right: vec![1],
                },
                QuizKey {
                    id: "hard/q2".into(),
                    right: vec![0],
                },
            ],
            challenges: vec![],
            simulations: vec![],
            exercises: vec![ExerciseKey {
                id: "hard/classify/stale.jsonl".into(),
                holds: vec![ConsistencyModel::Sequential, ConsistencyModel::Causal],
            }],
            body_file: String::new(),
            blocks: vec![],
        }
    }

    #[test]
    fn nothing_stored_starts_fresh_without_a_problem() {
        assert_eq!(
            Progress::load(None),
            Loaded {
                progress: Progress::new(),
                problem: None
            }
        );
    }

    #[test]
    fn stored_progress_round_trips() {
        let mut progress = Progress::new();
        progress.quizzes.insert("hard/q1".into(), 1);
        progress.challenges.insert("vector-clocks".into(), true);
        progress
            .classify
            .insert("hard/classify/stale.jsonl".into(), vec!["causal".into()]);
        let loaded = Progress::load(Some(&progress.to_json()));
        assert_eq!(loaded.problem, None);
        assert_eq!(loaded.progress, progress);
    }

    #[test]
    fn a_record_without_classified_histories_reads_and_writes_as_before() {
        let before = "{\"version\":1,\"quizzes\":{\"hard/q1\":1},\"challenges\":{}}";
        let loaded = Progress::load(Some(before));
        assert_eq!(loaded.problem, None);
        assert!(loaded.progress.classify.is_empty());
        assert_eq!(loaded.progress.to_json(), before);
    }

    #[test]
    fn damaged_or_future_data_is_reported_not_dropped_silently() {
        let damaged = Progress::load(Some("{\"version\": 1, \"quizzes\": [oops"));
        assert!(damaged.problem.unwrap().contains("damaged"));
        let future = Progress::load(Some("{\"version\": 99}"));
        assert!(future.problem.unwrap().contains("format version 99"));
    }

    #[test]
    fn an_export_round_trips_with_code() {
        let mut progress = Progress::new();
        progress.quizzes.insert("hard/q1".into(), 1);
        progress.challenges.insert("vector-clocks".into(), true);
        let export = Export {
            format: EXPORT_FORMAT.into(),
            progress,
            code: [("vector-clocks".to_string(), "fn f() { 1 }".to_string())].into(),
        };
        assert_eq!(Export::from_json(&export.to_json()), Ok(export));
    }

    #[test]
    fn wrong_files_are_refused_with_a_reason() {
        let cases = [
            ("not json", "not JSON"),
            ("{\"progress\": {\"version\": 1}}", "no \"format\""),
            (
                "{\"format\": \"dslab-progress\", \"progress\": {\"version\": 7}}",
                "format version 7",
            ),
            (
                "{\"format\": \"dslab-progress\", \"progress\": {\"version\": 1, \"quizzes\": 3}}",
                "damaged",
            ),
            (
                "{\"format\": \"dslab-progress\", \"progress\": {\"version\": 1}, \"code\": {\"../x\": \"\"}}",
                "not a challenge id",
            ),
        ];
        for (text, needle) in cases {
            let err = Export::from_json(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
        let huge = " ".repeat(EXPORT_FILE_BYTES_MAX + 1);
        assert!(Export::from_json(&huge).unwrap_err().contains("larger"));
    }

    #[test]
    fn chapter_progress_counts_right_answers_only() {
        let mut progress = Progress::new();
        let counts = progress.chapter(&chapter());
        assert_eq!(
            (counts.quizzes_right, counts.quizzes_total, counts.percent()),
            (0, 2, 0)
        );
        assert_eq!((counts.exercises_solved, counts.exercises_total), (0, 1));
        progress.quizzes.insert("hard/q1".into(), 1);
        progress.quizzes.insert("hard/q2".into(), 1);
        let counts = progress.chapter(&chapter());
        assert_eq!((counts.quizzes_right, counts.percent()), (1, 33));
        assert_eq!(counts.label(), "1/2 questions · 0/1 histories");
        progress.quizzes.insert("hard/q2".into(), 7);
        assert_eq!(
            progress.chapter(&chapter()).quizzes_right,
            1,
            "an out-of-range answer is not right"
        );
    }

    #[test]
    fn a_history_is_solved_when_exactly_the_models_that_hold_were_ticked() {
        let key = &chapter().exercises[0];
        let mut progress = Progress::new();
        let mut check = |ticked: &[&str]| {
            progress.classify.insert(
                key.id.clone(),
                ticked.iter().map(|t| t.to_string()).collect(),
            );
            progress.solved(key)
        };
        assert!(check(&["causal", "sequential"]), "order does not matter");
        assert!(!check(&["sequential"]), "a model that holds left unticked");
        assert!(
            !check(&["sequential", "causal", "linearizable"]),
            "a violated model ticked"
        );
        assert!(
            !check(&["sequential", "sequential"]),
            "a repeat is not another model"
        );
        assert!(!check(&[]));
        assert!(!Progress::new().solved(key), "never checked");
        progress
            .classify
            .insert(key.id.clone(), vec!["sequential".into(), "causal".into()]);
        let counts = progress.chapter(&chapter());
        assert_eq!((counts.exercises_solved, counts.percent()), (1, 33));
        assert_eq!(counts.label(), "0/2 questions · 1/1 histories");
    }
}

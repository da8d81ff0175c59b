//! The content pipeline's data model, and (feature `compile`) the compiler that produces it.
//!
//! Chapters are Markdown files `content/NN-slug.md` with a small front matter. Prose becomes
//! HTML at build time; fenced blocks whose language is a directive (`sim`, `challenge`,
//! `quiz`, `history`, `classify`) become typed values the app renders as live widgets. A chapter that does not parse,
//! or a directive that names something the engine does not have, is a [`ContentError`] naming
//! the file and line — the build fails instead of shipping a broken page.
#![deny(missing_docs)]

use engine::consistency::ConsistencyModel;
use serde::{Deserialize, Serialize};

#[cfg(feature = "compile")]
mod compile;
#[cfg(feature = "compile")]
mod directive;
#[cfg(feature = "compile")]
pub mod glossary;
#[cfg(feature = "compile")]
pub mod search;

#[cfg(feature = "compile")]
pub use compile::{compile_chapter, compile_dir, slugify, Catalog, ContentError};

/// The course as JSON, the form the app embeds.
#[cfg(feature = "compile")]
pub fn to_json(course: &Course) -> String {
    serde_json::to_string(course).expect("the course model always serializes")
}

/// The whole course as the app sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Course {
    /// Chapters in agenda order.
    pub chapters: Vec<Chapter>,
    /// Pages outside the agenda (`content/pages/<slug>.md`, numbered 0, no hours), such as the
    /// design-decision guide, served at `#/page/<slug>`.
    #[serde(default)]
    pub pages: Vec<Chapter>,
    /// Every term the chapters define, sorted by term. Never in the index the app embeds: the
    /// glossary page fetches it, drawn, from [`Course::glossary_file`].
    #[serde(skip)]
    pub glossary: Vec<GlossaryTerm>,
    /// Where the glossary is served, relative to the site (`glossary.<hash>.json`); set by
    /// [`split`], empty before.
    #[serde(default)]
    pub glossary_file: String,
    /// Where the search index is served (`search.<hash>.tsv`, see `search::tsv`); set by
    /// [`split`], empty before.
    #[serde(default)]
    pub search_file: String,
}

/// One term of the course glossary, defined by the first chapter whose `## Glossary` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlossaryTerm {
    /// Its id on the glossary page (`#/glossary/<id>`).
    pub id: String,
    /// The term as the chapter writes it.
    pub term: String,
    /// The definition, as inline HTML.
    pub definition_html: String,
    /// The chapter that defines it.
    pub chapter: u8,
    /// That chapter's slug.
    pub slug: String,
    /// That chapter's title.
    pub chapter_title: String,
    /// The section whose prose first uses the term (and links it here), if any.
    pub section: Option<Section>,
    /// Later chapters that refine the definition, each linking back to the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<GlossaryMention>,
}

/// A later chapter's refinement of a [`GlossaryTerm`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlossaryMention {
    /// The chapter.
    pub chapter: u8,
    /// Its slug.
    pub slug: String,
    /// Its title.
    pub chapter_title: String,
    /// Its definition, as inline HTML.
    pub definition_html: String,
    /// The section whose prose first uses the term, if any.
    pub section: Option<Section>,
}

/// The glossary as served in its own file: drawn at build time, so the page only shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlossaryBody {
    /// How many terms.
    pub count: usize,
    /// The letter index and the definition list, as HTML; each entry carries its searchable
    /// text in `data-search` (lower case).
    pub html: String,
    /// The terms, sorted.
    pub terms: Vec<GlossaryTerm>,
}

/// One chapter: metadata, a table of contents and the body as a sequence of blocks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chapter {
    /// Position in the agenda, from 1.
    pub number: u8,
    /// Stable URL segment, from the file name (`01-why-distributed-systems-are-hard.md`).
    pub slug: String,
    /// The chapter's title.
    pub title: String,
    /// The workshop's time for the chapter, in hours.
    pub hours: u8,
    /// One or two sentences for the home page.
    pub summary: String,
    /// Headings (levels 2 and 3) in document order, for the table of contents.
    pub sections: Vec<Section>,
    /// Its quizzes' ids and right answers, so progress can be counted without the body.
    pub quizzes: Vec<QuizKey>,
    /// Ids of the challenges it embeds, in order.
    pub challenges: Vec<String>,
    /// Ids of the scenarios its simulations run, in order (a shared run links back here).
    #[serde(default)]
    pub simulations: Vec<String>,
    /// Its "classify this history" exercises' ids and answers, so progress can be counted
    /// without the body.
    #[serde(default)]
    pub exercises: Vec<ExerciseKey>,
    /// Where the body is served, relative to the site (`chapters/<slug>.<hash>.json`); set by
    /// [`split`], empty before.
    pub body_file: String,
    /// The body. Empty in the index the app embeds: the app fetches each chapter's body when
    /// the chapter is opened, so the first view does not download the whole course.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<Block>,
}

/// A quiz's id and the indices of its right answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizKey {
    /// The quiz id (`<chapter slug>/q<n>`).
    pub id: String,
    /// Indices of the right answers.
    pub right: Vec<usize>,
}

/// A "classify this history" exercise's id and the models its history satisfies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseKey {
    /// The exercise id (`<chapter slug>/<history file>`).
    pub id: String,
    /// The models of [`CLASSIFY_MODELS`] that hold, in that order.
    pub holds: Vec<ConsistencyModel>,
}

/// The models a ```classify exercise asks about, in the order the learner sees them: every
/// model of [`engine::consistency`] that a client history alone can show (convergence needs
/// the replicas' final states).
pub const CLASSIFY_MODELS: [ConsistencyModel; 7] = ConsistencyModel::FROM_HISTORY;

/// A chapter's body as served in its own file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChapterBody {
    /// The chapter's slug (checked against the index when loaded).
    pub slug: String,
    /// The blocks.
    pub blocks: Vec<Block>,
}

/// FNV-1a, 64 bits: names body files by their content so browsers never use a stale copy.
#[cfg(feature = "compile")]
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Splits a compiled course into the index the app embeds (no bodies) and one JSON file per
/// chapter body: (path relative to the site, contents).
#[cfg(feature = "compile")]
pub fn split(course: &Course) -> (Course, Vec<(String, String)>) {
    let mut files = Vec::new();
    let mut index = course.clone();
    for chapter in index.chapters.iter_mut().chain(index.pages.iter_mut()) {
        let body = ChapterBody {
            slug: chapter.slug.clone(),
            blocks: std::mem::take(&mut chapter.blocks),
        };
        let json = serde_json::to_string(&body).expect("chapter bodies serialize");
        chapter.body_file = format!(
            "chapters/{}.{:016x}.json",
            chapter.slug,
            fnv1a(json.as_bytes())
        );
        files.push((chapter.body_file.clone(), json));
    }
    let tsv = search::tsv(&search::index(course));
    index.search_file = format!("search.{:016x}.tsv", fnv1a(tsv.as_bytes()));
    files.push((index.search_file.clone(), tsv));
    let terms = std::mem::take(&mut index.glossary);
    let glossary = GlossaryBody {
        count: terms.len(),
        html: glossary::render(&terms),
        terms,
    };
    let json = serde_json::to_string(&glossary).expect("the glossary serializes");
    index.glossary_file = format!("glossary.{:016x}.json", fnv1a(json.as_bytes()));
    files.push((index.glossary_file.clone(), json));
    (index, files)
}

/// A heading, addressable by URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The element id, unique within the chapter.
    pub id: String,
    /// The heading's plain text.
    pub title: String,
    /// 2 or 3.
    pub level: u8,
}

/// A piece of a chapter's body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Block {
    /// Rendered prose.
    Html(String),
    /// A multiple-choice question.
    Quiz(Quiz),
    /// An embedded live simulation.
    Sim(SimEmbed),
    /// An embedded code challenge.
    Challenge(ChallengeEmbed),
    /// An embedded client history, checked for linearizability at build time.
    History(HistoryEmbed),
    /// Histories for the learner to classify under consistency models, with the answer key
    /// computed at build time.
    Classify(ClassifyEmbed),
    /// The staleness chart (probabilistically bounded staleness), measured in the worker.
    Staleness(StalenessEmbed),
}

/// A ```staleness directive: the chart of how often a leaderless store's read returns the
/// latest acknowledged write against the time since it, measured in the page's worker by
/// running the store (`engine::protocols::dynamo::pbs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalenessEmbed {
    /// The seed the measurement starts from.
    pub seed: u64,
    /// A caption under the chart.
    pub caption: Option<String>,
}

/// A multiple-choice question with an explanation for every answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quiz {
    /// Stable id (`<chapter slug>/q<n>`, or `<chapter slug>/puzzle/<scenario>` for a debugging
    /// puzzle), used to remember answers.
    pub id: String,
    /// The question, as HTML.
    pub question_html: String,
    /// The answers in the order written.
    pub options: Vec<QuizOption>,
}

impl Quiz {
    /// Whether this is a debugging puzzle asked under a simulation (a ```puzzle directive),
    /// rather than a self-check question.
    pub fn is_puzzle(&self) -> bool {
        self.id.contains("/puzzle/")
    }
}

/// One answer of a [`Quiz`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuizOption {
    /// The answer, as inline HTML.
    pub text_html: String,
    /// Whether this answer is right.
    pub correct: bool,
    /// Why it is right or wrong, as HTML.
    pub explanation_html: String,
}

/// A ```sim directive: which scenario to run and how to start it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimEmbed {
    /// A scenario id from the engine's catalog.
    pub scenario: String,
    /// The seed the run starts from.
    pub seed: u64,
    /// A caption under the simulation.
    pub caption: Option<String>,
}

/// A ```history directive: client histories drawn with the linearizability checker's verdict.
/// The examples are checked at build time (the page draws them at once); a history the learner
/// pastes is checked in the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEmbed {
    /// A caption under the view.
    pub caption: Option<String>,
    /// The examples the learner can pick, the first shown first.
    pub examples: Vec<HistoryExample>,
    /// Whether the learner may paste a history of their own.
    pub paste: bool,
}

/// One example history of a ```history directive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryExample {
    /// Its file under `content/histories/`.
    pub file: String,
    /// Its label in the picker.
    pub label: String,
    /// The checked, laid-out history.
    pub view: engine::lin::HistoryView,
}

/// A ```classify directive: client histories the learner places in consistency models (ticking
/// the models each satisfies), stepping through them one at a time. The answer key is the
/// engine's checkers' (see [`engine::consistency`]), computed when the site is built.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassifyEmbed {
    /// A caption under the exercise.
    pub caption: Option<String>,
    /// The histories, in the order the learner steps through them.
    pub histories: Vec<ClassifyHistory>,
}

/// One history of a ```classify directive and its answer key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassifyHistory {
    /// The exercise id (`<chapter slug>/<history file>`), under which progress remembers it.
    pub id: String,
    /// Its file under `content/histories/`.
    pub file: String,
    /// The history laid out for drawing (the page draws it without the linearizability
    /// checker's placements, which would give the answer away).
    pub view: engine::lin::HistoryView,
    /// A short label per operation of `view` (`w 1`, `r x=nil`), to fit inside its bar.
    pub labels: Vec<String>,
    /// One answer per model of [`CLASSIFY_MODELS`], in that order.
    pub answers: Vec<ClassifyAnswer>,
}

impl ClassifyHistory {
    /// Its key in the chapter index: the id and the models that hold, which is all progress
    /// needs to tell whether the learner solved it.
    pub fn key(&self) -> ExerciseKey {
        ExerciseKey {
            id: self.id.clone(),
            holds: self
                .answers
                .iter()
                .filter(|a| a.holds)
                .map(|a| a.model)
                .collect(),
        }
    }
}

/// The checker's answer for one model of a [`ClassifyHistory`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassifyAnswer {
    /// The model.
    pub model: ConsistencyModel,
    /// Whether the history satisfies it.
    pub holds: bool,
    /// The checker's sentence: why it holds, or the anomaly.
    pub sentence: String,
    /// For a violation, the operations that show it (indices into the view's operations).
    pub operations: Vec<usize>,
}

/// A `challenge` directive, with the challenge's texts rendered at build time so the page
/// needs neither a Markdown renderer nor the challenge engine (which lives in the worker).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeEmbed {
    /// A challenge id from the engine's catalog.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The task, as HTML.
    pub statement_html: String,
    /// What the script sees, as HTML.
    pub api_html: String,
    /// Progressive hints, as HTML.
    pub hints_html: Vec<String>,
    /// The code the editor starts with.
    pub starter: String,
    /// The reference solution, shown on request.
    pub reference: String,
    /// Seeds a check runs.
    pub seeds: u64,
    /// The properties checked: (id, title, explanation).
    pub properties: Vec<(String, String, String)>,
    /// For a challenge that runs other challenges' code together (the capstone's
    /// `kv-your-raft`): those challenges, in order, so the page can start the editor with
    /// the learner's saved code for each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compose: Vec<ComposedPart>,
    /// What the cost comparison after a pass teaches, as inline HTML (challenges that measure
    /// their runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency_html: Option<String>,
}

/// One challenge whose code a composed challenge runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComposedPart {
    /// Its id (its saved code is stored under it).
    pub id: String,
    /// Its title.
    pub title: String,
    /// The chapter it belongs to.
    pub chapter: u8,
    /// Its reference solution, used for a part the learner has not written.
    pub reference: String,
}

//! Markdown → [`Chapter`]. Runs at build time (the app's build script) and in tests.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::directive::{parse_fields, parse_quiz, DirectiveError};
use crate::glossary::{ChapterTerms, Linker, GLOSSARY_HEADING};
use crate::{
    Block, ChallengeEmbed, Chapter, ClassifyAnswer, ClassifyEmbed, ClassifyHistory, ComposedPart,
    Course, HistoryEmbed, HistoryExample, Quiz, QuizKey, QuizOption, Section, SimEmbed,
    StalenessEmbed, CLASSIFY_MODELS,
};

/// The largest chapter file the compiler reads, in bytes; a guard against a runaway file.
pub const CHAPTER_FILE_BYTES_MAX: usize = 512 * 1024;

/// The most operations a ```classify history may have: the learner classifies it by eye.
pub const CLASSIFY_OPERATIONS_MAX: usize = 24;

/// A content mistake, with the file and line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    /// The file, as given to the compiler.
    pub file: String,
    /// 1-based line; 0 when the error is about the file as a whole.
    pub line: usize,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for ContentError {}

/// What directives may name: the engine's scenarios and challenges.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Scenario ids.
    pub scenarios: BTreeSet<String>,
    /// Challenge ids.
    pub challenges: BTreeSet<String>,
    /// History files that ```history and ```classify directives may name: path relative to
    /// `content/histories/` → text.
    pub histories: BTreeMap<String, String>,
    /// Debugging puzzles that ```puzzle directives may ask: scenario id → puzzle.
    pub puzzles: BTreeMap<String, engine::catalog::Puzzle>,
}

impl Catalog {
    /// The catalog of the engine this crate is built with.
    pub fn from_engine() -> Self {
        Catalog {
            scenarios: engine::catalog::scenario_ids()
                .into_iter()
                .map(String::from)
                .collect(),
            challenges: engine::catalog::challenge_ids()
                .into_iter()
                .map(String::from)
                .collect(),
            histories: BTreeMap::new(),
            puzzles: engine::catalog::puzzles()
                .iter()
                .map(|p| (p.scenario.to_string(), *p))
                .collect(),
        }
    }
}

/// Reads every file of `dir/histories/` and its subfolders (none if the folder is absent), named
/// by their path relative to it (`classify/01-linearizable.jsonl`).
fn read_histories(dir: &Path, errors: &mut Vec<ContentError>) -> BTreeMap<String, String> {
    let mut histories = BTreeMap::new();
    read_histories_under(&dir.join("histories"), "", &mut histories, errors);
    histories
}

fn read_histories_under(
    folder: &Path,
    prefix: &str,
    histories: &mut BTreeMap<String, String>,
    errors: &mut Vec<ContentError>,
) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if name.rsplit('/').next().is_some_and(|n| n.starts_with('.')) || name.ends_with(".md") {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            read_histories_under(&entry.path(), &format!("{name}/"), histories, errors);
            continue;
        }
        match std::fs::read_to_string(entry.path()) {
            Ok(text) => {
                histories.insert(name, text);
            }
            Err(err) => errors.push(ContentError {
                file: format!("content/histories/{name}"),
                line: 0,
                message: format!("cannot read: {err}"),
            }),
        }
    }
}

/// A link from one chapter to another chapter file, checked once all chapters are known.
struct ChapterLink {
    line: usize,
    file_name: String,
    fragment: Option<String>,
}

/// Compiles every `NN-slug.md` in `dir` into a [`Course`], validating directives against the
/// engine's catalog and links between chapters. Returns every error found, not just the first.
pub fn compile_dir(dir: &Path) -> Result<Course, Vec<ContentError>> {
    let mut catalog = Catalog::from_engine();
    let mut errors = Vec::new();
    catalog.histories = read_histories(dir, &mut errors);
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".md") && name.as_bytes()[0].is_ascii_digit())
            .collect(),
        Err(err) => {
            return Err(vec![ContentError {
                file: dir.display().to_string(),
                line: 0,
                message: format!("cannot read the content folder: {err}"),
            }])
        }
    };
    files.sort();
    let mut chapters = Vec::new();
    let mut links = Vec::new();
    let mut terms = Vec::new();
    for name in &files {
        let path = dir.join(name);
        let shown = format!("content/{name}");
        match std::fs::read_to_string(&path) {
            Ok(text) => match compile_with_links(&shown, name, &text, &catalog) {
                Ok((chapter, chapter_links, chapter_terms)) => {
                    links.push((shown, chapter_links));
                    terms.push(chapter_terms);
                    chapters.push(chapter);
                }
                Err(err) => errors.push(err),
            },
            Err(err) => errors.push(ContentError {
                file: shown,
                line: 0,
                message: format!("cannot read: {err}"),
            }),
        }
    }
    let mut pages = Vec::new();
    let pages_dir = dir.join(PAGES_DIR);
    let mut page_files: Vec<String> = std::fs::read_dir(&pages_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".md"))
                .collect()
        })
        .unwrap_or_default();
    page_files.sort();
    for name in &page_files {
        let shown = format!("content/{PAGES_DIR}/{name}");
        match std::fs::read_to_string(pages_dir.join(name)) {
            Ok(text) => {
                match compile_with_links(&shown, &format!("{PAGES_DIR}/{name}"), &text, &catalog) {
                    Ok((page, page_links, _)) => {
                        if files
                            .iter()
                            .any(|f| f.ends_with(&format!("-{}.md", page.slug)))
                        {
                            errors.push(ContentError {
                                file: shown.clone(),
                                line: 0,
                                message: format!("a chapter already has the slug `{}`", page.slug),
                            });
                        }
                        links.push((shown, page_links));
                        pages.push(page);
                    }
                    Err(err) => errors.push(err),
                }
            }
            Err(err) => errors.push(ContentError {
                file: shown,
                line: 0,
                message: format!("cannot read: {err}"),
            }),
        }
    }
    for (index, chapter) in chapters.iter().enumerate() {
        let expected = index + 1;
        if usize::from(chapter.number) != expected {
            errors.push(ContentError {
                file: format!("content/{:02}-{}.md", chapter.number, chapter.slug),
                line: 0,
                message: format!(
                    "chapters must be numbered 1, 2, 3, …; expected {expected:02} here"
                ),
            });
        }
    }
    for (file, chapter_links) in &links {
        for link in chapter_links {
            check_link(file, link, &chapters, &mut errors);
        }
    }
    let files: Vec<&str> = links.iter().map(|(file, _)| file.as_str()).collect();
    let joined: Vec<_> = chapters
        .iter()
        .zip(&files)
        .zip(&terms)
        .map(|((chapter, file), terms)| (chapter, *file, terms))
        .collect();
    let glossary = crate::glossary::merge(&joined).unwrap_or_else(|mut found| {
        errors.append(&mut found);
        Vec::new()
    });
    if errors.is_empty() {
        Ok(Course {
            chapters,
            pages,
            glossary,
            glossary_file: String::new(),
            search_file: String::new(),
        })
    } else {
        Err(errors)
    }
}

fn check_link(
    file: &str,
    link: &ChapterLink,
    chapters: &[Chapter],
    errors: &mut Vec<ContentError>,
) {
    let target = chapters
        .iter()
        .find(|c| format!("{:02}-{}.md", c.number, c.slug) == link.file_name);
    let message = match (target, &link.fragment) {
        (None, _) => format!(
            "link to a chapter that does not exist: `{}`",
            link.file_name
        ),
        (Some(chapter), Some(fragment)) if !chapter.sections.iter().any(|s| &s.id == fragment) => {
            format!(
                "link to a section that does not exist: `{}#{fragment}`",
                link.file_name
            )
        }
        _ => return,
    };
    errors.push(ContentError {
        file: file.to_string(),
        line: link.line,
        message,
    });
}

/// Compiles one chapter. `file` is how errors name it; `file_name` must be `NN-slug.md`.
pub fn compile_chapter(
    file: &str,
    file_name: &str,
    text: &str,
    catalog: &Catalog,
) -> Result<Chapter, ContentError> {
    compile_with_links(file, file_name, text, catalog).map(|(chapter, _, _)| chapter)
}

fn compile_with_links(
    file: &str,
    file_name: &str,
    text: &str,
    catalog: &Catalog,
) -> Result<(Chapter, Vec<ChapterLink>, ChapterTerms), ContentError> {
    let fail = |line: usize, message: String| ContentError {
        file: file.to_string(),
        line,
        message,
    };
    if text.len() > CHAPTER_FILE_BYTES_MAX {
        return Err(fail(
            0,
            format!("file is larger than {CHAPTER_FILE_BYTES_MAX} bytes"),
        ));
    }
    let page = file_name
        .strip_prefix(PAGES_DIR)
        .and_then(|f| f.strip_prefix('/'));
    let (number, slug) = match page {
        Some(name) => (0, parse_page_name(name).map_err(|m| fail(0, m))?),
        None => parse_file_name(file_name).map_err(|m| fail(0, m))?,
    };
    let front = parse_front_matter(text, page.is_some()).map_err(|(line, m)| fail(line, m))?;
    let line_of = |byte: usize| {
        text[..(front.body_offset + byte).min(text.len())]
            .matches('\n')
            .count()
            + 1
    };
    let definitions = crate::glossary::definitions(&text[front.body_offset..], line_of)
        .map_err(|(line, m)| fail(line, m))?;
    let mut body = Body {
        slug: slug.clone(),
        route: if page.is_some() { "page" } else { "chapter" },
        text,
        offset: front.body_offset,
        catalog,
        sections: Vec::new(),
        blocks: Vec::new(),
        links: Vec::new(),
        pending: Vec::new(),
        quiz_count: 0,
        linker: Linker::new(&definitions),
        section: None,
        in_glossary: false,
        no_link_depth: 0,
        bold_depth: 0,
    };
    body.compile().map_err(|(line, m)| fail(line, m))?;
    let quizzes = body
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Quiz(quiz) => Some(QuizKey {
                id: quiz.id.clone(),
                right: (0..quiz.options.len())
                    .filter(|&i| quiz.options[i].correct)
                    .collect(),
            }),
            _ => None,
        })
        .collect();
    let challenges = body
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Challenge(challenge) => Some(challenge.id.clone()),
            _ => None,
        })
        .collect();
    let simulations = body
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Sim(sim) => Some(sim.scenario.clone()),
            _ => None,
        })
        .collect();
    let exercises = body
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Classify(embed) => Some(embed.histories.iter().map(ClassifyHistory::key)),
            _ => None,
        })
        .flatten()
        .collect();
    let chapter = Chapter {
        number,
        slug,
        title: front.title,
        hours: front.hours,
        summary: front.summary,
        sections: body.sections,
        quizzes,
        challenges,
        simulations,
        exercises,
        body_file: String::new(),
        blocks: body.blocks,
    };
    let terms = ChapterTerms {
        definitions,
        first_use: body.linker.first_use(),
    };
    Ok((chapter, body.links, terms))
}

/// The folder of `content/` whose Markdown files are pages outside the agenda (a guide), served
/// at `#/page/<slug>`.
pub const PAGES_DIR: &str = "pages";

/// A page's slug from its file name, `design-decisions.md`.
fn parse_page_name(name: &str) -> Result<String, String> {
    let slug = name
        .strip_suffix(".md")
        .filter(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .ok_or_else(|| {
            format!("a page's file is named like `design-decisions.md`, not `{name}`")
        })?;
    Ok(slug.to_string())
}

fn parse_file_name(name: &str) -> Result<(u8, String), String> {
    let expected =
        "file name must look like `NN-slug.md` (two digits, lowercase words joined by `-`)";
    let stem = name.strip_suffix(".md").ok_or(expected)?;
    let (digits, slug) = stem.split_once('-').ok_or(expected)?;
    let valid_slug = !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if digits.len() != 2 || !valid_slug {
        return Err(expected.to_string());
    }
    let number: u8 = digits.parse().map_err(|_| expected.to_string())?;
    Ok((number, slug.to_string()))
}

struct FrontMatter {
    title: String,
    hours: u8,
    summary: String,
    body_offset: usize,
}

/// `---` / `key: value` lines / `---` at the top of the file.
fn parse_front_matter(text: &str, page: bool) -> Result<FrontMatter, (usize, String)> {
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("---") {
        return Err((1, "a chapter starts with front matter: `---`, `title: …`, `hours: …`, `summary: …`, `---`".into()));
    }
    let mut offset = 4;
    let mut body = String::new();
    let mut closed = false;
    for line in lines.by_ref() {
        offset += line.len();
        if line.trim_end() == "---" {
            closed = true;
            break;
        }
        body.push_str(line);
    }
    if !closed {
        return Err((1, "front matter is not closed by a `---` line".into()));
    }
    let fields = parse_fields(&body, 2, &["title", "hours", "summary"])
        .map_err(|DirectiveError { line, message }| (line, message))?;
    let get = |key: &str| fields.iter().find(|(k, _, _)| k == key);
    let required = |key: &str| {
        get(key)
            .map(|(_, v, _)| v.clone())
            .filter(|v| !v.is_empty())
            .ok_or((1, format!("front matter needs `{key}: …`")))
    };
    let title = required("title")?;
    let summary = required("summary")?;
    if page {
        if let Some((_, _, line)) = get("hours") {
            return Err((*line, "a page outside the agenda has no `hours`".into()));
        }
        return Ok(FrontMatter {
            title,
            hours: 0,
            summary,
            body_offset: offset,
        });
    }
    let hours_text = required("hours")?;
    let hours_line = get("hours").map_or(1, |(_, _, l)| *l);
    let hours: u8 = hours_text
        .parse()
        .ok()
        .filter(|h| (1..=8).contains(h))
        .ok_or((
            hours_line,
            format!("`hours` must be a whole number from 1 to 8, found `{hours_text}`"),
        ))?;
    Ok(FrontMatter {
        title,
        hours,
        summary,
        body_offset: offset,
    })
}

/// Directive languages: a fenced block with one of these is a widget, not code.
const DIRECTIVES: [&str; 7] = [
    "sim",
    "challenge",
    "quiz",
    "puzzle",
    "history",
    "classify",
    "staleness",
];

struct Body<'a> {
    slug: String,
    /// The route its sections live under: `chapter` or `page`.
    route: &'static str,
    text: &'a str,
    offset: usize,
    catalog: &'a Catalog,
    sections: Vec<Section>,
    blocks: Vec<Block>,
    links: Vec<ChapterLink>,
    /// Prose events since the last directive.
    pending: Vec<Event<'a>>,
    quiz_count: usize,
    /// Links the first use of each of the chapter's glossary terms.
    linker: Linker,
    /// The section the prose is in.
    section: Option<Section>,
    /// Whether the prose is the chapter's glossary (whose terms are not linked to themselves).
    in_glossary: bool,
    /// Links, images and code blocks open around the current text (never linked inside).
    no_link_depth: usize,
    /// Strong or emphasis open around the current text (where prose defines a term).
    bold_depth: usize,
}

type Failure = (usize, String);

impl<'a> Body<'a> {
    fn line_of(&self, body_byte: usize) -> usize {
        let absolute = self.offset + body_byte;
        self.text[..absolute.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }

    fn compile(&mut self) -> Result<(), Failure> {
        let source: &'a str = &self.text[self.offset..];
        let options = Options::ENABLE_TABLES
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_GFM
            | Options::ENABLE_DEFINITION_LIST;
        let mut events = Parser::new_ext(source, options).into_offset_iter();
        while let Some((event, range)) = events.next() {
            let line = self.line_of(range.start);
            match event {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang)))
                    if DIRECTIVES.contains(&lang.as_ref()) =>
                {
                    let mut content = String::new();
                    for (inner, _) in events.by_ref() {
                        match inner {
                            Event::Text(text) => content.push_str(&text),
                            Event::End(TagEnd::CodeBlock) => break,
                            _ => {}
                        }
                    }
                    self.flush();
                    let block = self.directive(&lang, &content, line + 1)?;
                    self.blocks.push(block);
                }
                Event::Start(Tag::Heading { level, .. }) => {
                    let mut inner = Vec::new();
                    for (event, _) in events.by_ref() {
                        if matches!(event, Event::End(TagEnd::Heading(_))) {
                            break;
                        }
                        inner.push(event);
                    }
                    self.heading(level, inner, line)?;
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    self.no_link_depth += 1;
                    let dest_url = self.rewrite_link(dest_url, line);
                    self.pending.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }));
                }
                Event::Text(text) if self.no_link_depth == 0 && !self.in_glossary => {
                    let events = self
                        .linker
                        .text(text, self.section.as_ref(), self.bold_depth > 0);
                    self.pending.extend(events);
                }
                event @ (Event::Start(Tag::Strong) | Event::Start(Tag::Emphasis)) => {
                    self.bold_depth += 1;
                    self.pending.push(event);
                }
                event @ (Event::End(TagEnd::Strong) | Event::End(TagEnd::Emphasis)) => {
                    self.bold_depth = self.bold_depth.saturating_sub(1);
                    self.pending.push(event);
                }
                event @ (Event::Start(Tag::Image { .. }) | Event::Start(Tag::CodeBlock(_))) => {
                    self.no_link_depth += 1;
                    self.pending.push(event);
                }
                event @ (Event::End(TagEnd::Link)
                | Event::End(TagEnd::Image)
                | Event::End(TagEnd::CodeBlock)) => {
                    self.no_link_depth = self.no_link_depth.saturating_sub(1);
                    self.pending.push(event);
                }
                other => self.pending.push(other),
            }
        }
        self.flush();
        Ok(())
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, self.pending.drain(..));
        // A code block scrolls sideways on a narrow screen: a tab stop lets a keyboard scroll it.
        let html = html.replace("<pre>", "<pre tabindex=\"0\">");
        if !html.trim().is_empty() {
            self.blocks.push(Block::Html(html));
        }
    }

    fn heading(
        &mut self,
        level: HeadingLevel,
        inner: Vec<Event<'a>>,
        line: usize,
    ) -> Result<(), Failure> {
        if level == HeadingLevel::H1 {
            return Err((
                line,
                "use `##` and below: the chapter title comes from the front matter".into(),
            ));
        }
        let title: String = inner
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        let base = slugify(&title);
        if base.is_empty() {
            return Err((line, "a heading needs some text".into()));
        }
        let mut id = base.clone();
        let mut n = 2;
        while self.sections.iter().any(|s| s.id == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let depth = match level {
            HeadingLevel::H2 => 2,
            HeadingLevel::H3 => 3,
            _ => 4,
        };
        if depth == 2 {
            self.in_glossary = title.trim() == GLOSSARY_HEADING;
        }
        if depth <= 3 {
            let section = Section {
                id: id.clone(),
                title,
                level: depth,
            };
            if !self.in_glossary {
                self.linker.heading(&section.title, &section);
            }
            self.section = Some(section.clone());
            self.sections.push(section);
        }
        let anchor = format!(
            "<a class=\"anchor\" href=\"#/{}/{}/{id}\" aria-label=\"Link to this section\">#</a>",
            self.route, self.slug
        );
        self.pending.push(Event::Start(Tag::Heading {
            level,
            id: Some(CowStr::from(id)),
            classes: Vec::new(),
            attrs: Vec::new(),
        }));
        self.pending.extend(inner);
        self.pending.push(Event::InlineHtml(CowStr::from(anchor)));
        self.pending.push(Event::End(TagEnd::Heading(level)));
        Ok(())
    }

    /// `NN-slug.md#frag` becomes the app's route; the target is checked once all chapters are
    /// known. Other links are left alone.
    fn rewrite_link(&mut self, dest: CowStr<'a>, line: usize) -> CowStr<'a> {
        let Some((route, file_name, fragment)) = chapter_route(&dest) else {
            return dest;
        };
        self.links.push(ChapterLink {
            line,
            file_name,
            fragment,
        });
        CowStr::from(route)
    }

    fn directive(
        &mut self,
        lang: &str,
        content: &str,
        first_line: usize,
    ) -> Result<Block, Failure> {
        let lift = |e: DirectiveError| (e.line, format!("in ```{lang}: {}", e.message));
        match lang {
            "sim" => {
                let fields = parse_fields(content, first_line, &["scenario", "seed", "caption"])
                    .map_err(lift)?;
                let field = |key: &str| fields.iter().find(|(k, _, _)| k == key);
                let Some((_, scenario, line)) = field("scenario") else {
                    return Err((first_line, "in ```sim: `scenario: …` is required".into()));
                };
                if !self.catalog.scenarios.contains(scenario) {
                    return Err((
                        *line,
                        format!(
                            "in ```sim: unknown scenario `{scenario}` (known: {})",
                            known(&self.catalog.scenarios)
                        ),
                    ));
                }
                let seed = match field("seed") {
                    None => 1,
                    Some((_, text, line)) => text.parse().map_err(|_| {
                        (
                            *line,
                            format!("in ```sim: `seed` must be a whole number, found `{text}`"),
                        )
                    })?,
                };
                Ok(Block::Sim(SimEmbed {
                    scenario: scenario.clone(),
                    seed,
                    caption: field("caption").map(|(_, c, _)| c.clone()),
                }))
            }
            "challenge" => {
                let fields = parse_fields(content, first_line, &["id"]).map_err(lift)?;
                let Some((_, id, line)) = fields.first() else {
                    return Err((first_line, "in ```challenge: `id: …` is required".into()));
                };
                if !self.catalog.challenges.contains(id) {
                    return Err((
                        *line,
                        format!(
                            "in ```challenge: unknown challenge `{id}` (known: {})",
                            known(&self.catalog.challenges)
                        ),
                    ));
                }
                let challenge = engine::challenge::challenge(id).ok_or_else(|| {
                    (
                        *line,
                        format!("in ```challenge: the engine has no challenge `{id}`"),
                    )
                })?;
                Ok(Block::Challenge(ChallengeEmbed {
                    id: id.clone(),
                    title: challenge.title.clone(),
                    statement_html: block_html(&challenge.statement),
                    api_html: block_html(&challenge.api),
                    hints_html: challenge.hints.iter().map(|h| inline_html(h)).collect(),
                    starter: challenge.starter.trim_start().to_string(),
                    reference: challenge.reference.trim_start().to_string(),
                    seeds: challenge.seeds,
                    properties: challenge
                        .properties
                        .iter()
                        .map(|p| (p.id.clone(), p.title.clone(), p.explanation.clone()))
                        .collect(),
                    compose: challenge
                        .compose
                        .iter()
                        .filter_map(|part| engine::challenge::challenge(part))
                        .map(|part| ComposedPart {
                            id: part.id.clone(),
                            title: part.title.clone(),
                            chapter: part.chapter,
                            reference: part.reference.trim_start().to_string(),
                        })
                        .collect(),
                    efficiency_html: (!challenge.efficiency.trim().is_empty())
                        .then(|| inline_html(challenge.efficiency.trim())),
                }))
            }
            "history" => {
                let fields = parse_fields(content, first_line, &["examples", "caption", "paste"])
                    .map_err(lift)?;
                let field = |key: &str| fields.iter().find(|(k, _, _)| k == key);
                let Some((_, list, line)) = field("examples") else {
                    return Err((
                        first_line,
                        "in ```history: `examples: file, file, …` is required".into(),
                    ));
                };
                let mut examples = Vec::new();
                for file in list.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                    let Some(text) = self.catalog.histories.get(file) else {
                        let files: BTreeSet<String> =
                            self.catalog.histories.keys().cloned().collect();
                        return Err((
                            *line,
                            format!(
                                "in ```history: no file `{file}` in content/histories/ (known: {})",
                                known(&files)
                            ),
                        ));
                    };
                    let view = engine::lin::view_text(
                        text,
                        engine::lin::Format::Auto,
                        &mut engine::lin::Budget::default(),
                    )
                    .map_err(|e| {
                        (
                            *line,
                            format!(
                                "in ```history: content/histories/{file}:{}: {}",
                                e.line, e.message
                            ),
                        )
                    })?;
                    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
                    examples.push(HistoryExample {
                        file: file.to_string(),
                        label: stem.replace(['-', '_'], " "),
                        view,
                    });
                }
                if examples.is_empty() {
                    return Err((*line, "in ```history: `examples` lists no file".into()));
                }
                let paste = match field("paste").map(|(_, v, l)| (v.as_str(), *l)) {
                    None | Some(("no", _)) => false,
                    Some(("yes", _)) => true,
                    Some((other, l)) => {
                        return Err((
                            l,
                            format!("in ```history: `paste` is `yes` or `no`, found `{other}`"),
                        ))
                    }
                };
                Ok(Block::History(HistoryEmbed {
                    caption: field("caption").map(|(_, c, _)| c.clone()),
                    examples,
                    paste,
                }))
            }
            "classify" => self.classify(content, first_line).map(Block::Classify),
            "staleness" => {
                let fields =
                    parse_fields(content, first_line, &["seed", "caption"]).map_err(lift)?;
                let field = |key: &str| fields.iter().find(|(k, _, _)| k == key);
                let seed = match field("seed") {
                    None => 1,
                    Some((_, text, line)) => text.parse().map_err(|_| {
                        (
                            *line,
                            format!(
                                "in ```staleness: `seed` must be a whole number, found `{text}`"
                            ),
                        )
                    })?,
                };
                if self.blocks.iter().any(|b| matches!(b, Block::Staleness(_))) {
                    return Err((
                        first_line,
                        "in ```staleness: a chapter has one staleness chart".into(),
                    ));
                }
                Ok(Block::Staleness(StalenessEmbed {
                    seed,
                    caption: field("caption").map(|(_, c, _)| c.clone()),
                }))
            }
            "quiz" => {
                let raw = parse_quiz(content, first_line).map_err(lift)?;
                self.quiz_count += 1;
                Ok(Block::Quiz(Quiz {
                    id: format!("{}/q{}", self.slug, self.quiz_count),
                    question_html: inline_html(&raw.question),
                    options: raw
                        .options
                        .into_iter()
                        .map(|o| QuizOption {
                            text_html: inline_html(&o.text),
                            correct: o.correct,
                            explanation_html: inline_html(&o.explanation),
                        })
                        .collect(),
                }))
            }
            "puzzle" => {
                let fields = parse_fields(content, first_line, &["scenario"]).map_err(lift)?;
                let Some((_, scenario, line)) = fields.first() else {
                    return Err((first_line, "in ```puzzle: `scenario: …` is required".into()));
                };
                let Some(puzzle) = self.catalog.puzzles.get(scenario) else {
                    return Err((
                        *line,
                        format!(
                            "in ```puzzle: no puzzle is asked under `{scenario}` (puzzles: {})",
                            self.catalog
                                .puzzles
                                .keys()
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                };
                let shown = self
                    .blocks
                    .iter()
                    .any(|b| matches!(b, Block::Sim(s) if &s.scenario == scenario));
                if !shown {
                    return Err((
                        *line,
                        format!(
                            "in ```puzzle: `{scenario}` must be embedded as a ```sim above its \
                             puzzle, so the reader can test a hypothesis before answering"
                        ),
                    ));
                }
                Ok(Block::Quiz(Quiz {
                    id: format!("{}/puzzle/{scenario}", self.slug),
                    question_html: inline_html(puzzle.question),
                    options: puzzle
                        .choices
                        .iter()
                        .enumerate()
                        .map(|(i, c)| QuizOption {
                            text_html: inline_html(c.text),
                            correct: i == puzzle.answer,
                            explanation_html: inline_html(c.feedback),
                        })
                        .collect(),
                }))
            }
            _ => unreachable!("only directive languages reach here"),
        }
    }
}

impl Body<'_> {
    /// A ```classify directive: each history's answer key from the engine's checkers.
    fn classify(&self, content: &str, first_line: usize) -> Result<ClassifyEmbed, Failure> {
        let fields = parse_fields(content, first_line, &["histories", "caption"])
            .map_err(|e| (e.line, format!("in ```classify: {}", e.message)))?;
        let field = |key: &str| fields.iter().find(|(k, _, _)| k == key);
        let Some((_, list, line)) = field("histories") else {
            return Err((
                first_line,
                "in ```classify: `histories: file, file, …` is required".into(),
            ));
        };
        let line = *line;
        let mut histories: Vec<ClassifyHistory> = Vec::new();
        for file in list.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            let Some(text) = self.catalog.histories.get(file) else {
                let files: BTreeSet<String> = self.catalog.histories.keys().cloned().collect();
                return Err((
                    line,
                    format!(
                        "in ```classify: no file `{file}` in content/histories/ (known: {})",
                        known(&files)
                    ),
                ));
            };
            if histories.iter().any(|h| h.file == file) {
                return Err((line, format!("in ```classify: `{file}` is listed twice")));
            }
            let earlier = self.blocks.iter().any(
                |b| matches!(b, Block::Classify(e) if e.histories.iter().any(|h| h.file == file)),
            );
            if earlier {
                return Err((
                    line,
                    format!("in ```classify: `{file}` is already an exercise of this chapter"),
                ));
            }
            let history = classify_history(&self.slug, file, text)
                .map_err(|message| (line, format!("in ```classify: {message}")))?;
            histories.push(history);
        }
        if histories.is_empty() {
            return Err((line, "in ```classify: `histories` lists no file".into()));
        }
        Ok(ClassifyEmbed {
            caption: field("caption").map(|(_, c, _)| c.clone()),
            histories,
        })
    }
}

/// Checks one history under every model of [`CLASSIFY_MODELS`] and lays it out. Every model
/// must have an answer (holds or violated): an exercise cannot ask what its key does not know.
fn classify_history(slug: &str, file: &str, text: &str) -> Result<ClassifyHistory, String> {
    use engine::consistency::{classify, Limits, Verdict};
    let at =
        |e: engine::lin::ParseError| format!("content/histories/{file}:{}: {}", e.line, e.message);
    let (_, raw) = engine::lin::read(text, engine::lin::Format::Auto).map_err(at)?;
    if raw.operations.len() > CLASSIFY_OPERATIONS_MAX {
        return Err(format!(
            "content/histories/{file} has {} operations; a history to classify by eye has at \
             most {CLASSIFY_OPERATIONS_MAX}",
            raw.operations.len()
        ));
    }
    let judgements = classify(&raw, None, &Limits::default()).map_err(at)?;
    let view = engine::lin::view_text(
        text,
        engine::lin::Format::Auto,
        &mut engine::lin::Budget::default(),
    )
    .map_err(at)?;
    // The checkers name raw operations; the view draws those that did not fail. Both know the
    // line each operation was invoked on.
    let drawn = |raw_index: usize| {
        let line = raw.operations[raw_index].invoke_line;
        view.operations.iter().position(|op| op.line == line)
    };
    let mut answers = Vec::new();
    for model in CLASSIFY_MODELS {
        let Some(judgement) = judgements.iter().find(|j| j.model == model) else {
            return Err(format!(
                "content/histories/{file}: the checkers gave no answer for {}",
                model.name()
            ));
        };
        let holds = match judgement.verdict {
            Verdict::Holds => true,
            Verdict::Violated => false,
            Verdict::Unknown | Verdict::NotApplicable => {
                return Err(format!(
                    "content/histories/{file}: {} has no verdict ({}); every model an exercise \
                     asks about needs one",
                    model.name(),
                    judgement.sentence
                ))
            }
        };
        answers.push(ClassifyAnswer {
            model,
            holds,
            sentence: judgement.sentence.clone(),
            operations: judgement
                .operations
                .iter()
                .filter_map(|&i| drawn(i))
                .collect(),
        });
    }
    let labels = view
        .operations
        .iter()
        .map(|op| {
            raw.operations
                .iter()
                .find(|r| r.invoke_line == op.line)
                .map_or_else(|| op.description.clone(), short_label)
        })
        .collect();
    Ok(ClassifyHistory {
        id: format!("{slug}/{file}"),
        file: file.to_string(),
        view,
        labels,
        answers,
    })
}

/// An operation in a few characters, to fit inside its bar: `w 1`, `r nil`, `w x=1`, `r y=nil`,
/// with `?` for an outcome that is unknown.
fn short_label(op: &engine::lin::RawOperation) -> String {
    use engine::lin::Status;
    use serde_json::Value;
    let value = |v: &Value| match v {
        Value::Null => "nil".to_string(),
        Value::String(s) if s.is_empty() => "nil".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let key = op
        .key
        .as_ref()
        .map_or_else(String::new, |k| format!("{k}="));
    let unknown = op.status == Status::Unknown;
    match op.f.as_str() {
        "read" | "get" if unknown => format!("r {key}?"),
        "read" | "get" => format!("r {key}{}", value(&op.output)),
        "write" | "put" => format!(
            "w {key}{}{}",
            value(&op.input),
            if unknown { "?" } else { "" }
        ),
        other => other.to_string(),
    }
}

fn known(ids: &BTreeSet<String>) -> String {
    if ids.is_empty() {
        "none yet".into()
    } else {
        ids.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// A link to a chapter file (`NN-slug.md#frag`) as the app's route, with the file name and the
/// fragment; `None` for any other link.
pub(crate) fn chapter_route(dest: &str) -> Option<(String, String, Option<String>)> {
    let (path, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (dest, None),
    };
    let is_chapter = path.ends_with(".md") && !path.contains('/') && !path.contains(':');
    if !is_chapter {
        return None;
    }
    let slug = parse_file_name(path).map(|(_, s)| s).unwrap_or_default();
    let route = match &fragment {
        Some(f) => format!("#/chapter/{slug}/{f}"),
        None => format!("#/chapter/{slug}"),
    };
    Some((route, path.to_string(), fragment))
}

/// Renders Markdown blocks.
fn block_html(text: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH),
    );
    html
}

/// Renders one paragraph of Markdown without its `<p>` wrapper.
fn inline_html(text: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new(text));
    let trimmed = html.trim();
    trimmed
        .strip_prefix("<p>")
        .and_then(|t| t.strip_suffix("</p>"))
        .unwrap_or(trimmed)
        .to_string()
}

/// A heading's text as a URL segment: lowercase ASCII words joined by `-`.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty()
            && !slug.ends_with('-')
            && (c.is_whitespace() || c == '-' || c == '/')
        {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::consistency::ConsistencyModel;

    fn catalog() -> Catalog {
        Catalog {
            scenarios: ["retry-lossy".to_string()].into(),
            challenges: ["vector-clocks".to_string()].into(),
            histories: [
                ("stale.jsonl".to_string(), STALE.to_string()),
                ("broken.jsonl".to_string(), "write 1\n".to_string()),
            ]
            .into(),
            puzzles: [("retry-lossy".to_string(), PUZZLE)].into(),
        }
    }

    const PUZZLE: engine::catalog::Puzzle = engine::catalog::Puzzle {
        scenario: "retry-lossy",
        question: "Which link *loses* messages?",
        choices: &[
            engine::catalog::Choice {
                text: "n0 to n1",
                feedback: "No. Its messages arrive.",
            },
            engine::catalog::Choice {
                text: "n1 to n0",
                feedback: "Right. The replies are lost.",
            },
        ],
        answer: 1,
    };

    #[test]
    fn a_puzzle_is_a_quiz_under_its_simulation() {
        let chapter = compile(
            "```quiz\n? Q?\n* a\n  > A.\n- b\n  > B.\n```\n\n```sim\nscenario: retry-lossy\n```\n\n```puzzle\nscenario: retry-lossy\n```\n\n```quiz\n? R?\n* a\n  > A.\n- b\n  > B.\n```\n",
        )
        .unwrap();
        let quizzes: Vec<_> = chapter
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Quiz(q) => Some(q),
                _ => None,
            })
            .collect();
        // The puzzle's id names its scenario, so the quizzes around it keep their numbers.
        let ids: Vec<&str> = quizzes.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids, ["hard/q1", "hard/puzzle/retry-lossy", "hard/q2"]);
        let p = quizzes[1];
        assert_eq!(p.question_html, "Which link <em>loses</em> messages?");
        assert!(p.is_puzzle() && !quizzes[0].is_puzzle());
        let right: Vec<bool> = p.options.iter().map(|o| o.correct).collect();
        assert_eq!(right, [false, true]);
        assert_eq!(
            p.options[1].explanation_html,
            "Right. The replies are lost."
        );
        let key = chapter.quizzes.iter().find(|k| k.id == p.id).unwrap();
        assert_eq!(key.right, [1]);
    }

    #[test]
    fn a_puzzle_needs_a_known_puzzle_and_its_simulation_above_it() {
        let unknown = compile("```puzzle\nscenario: nope\n```\n").unwrap_err();
        assert!(
            unknown.message.contains("no puzzle is asked under `nope`"),
            "{}",
            unknown.message
        );
        assert!(
            unknown.message.contains("retry-lossy"),
            "{}",
            unknown.message
        );
        let missing = compile("```puzzle\n```\n").unwrap_err();
        assert!(
            missing.message.contains("`scenario: …` is required"),
            "{}",
            missing.message
        );
        let before = compile(
            "```puzzle\nscenario: retry-lossy\n```\n\n```sim\nscenario: retry-lossy\n```\n",
        )
        .unwrap_err();
        assert!(
            before
                .message
                .contains("must be embedded as a ```sim above"),
            "{}",
            before.message
        );
        assert_eq!(before.line, 7);
    }

    const STALE: &str = "{\"client\": 0, \"type\": \"invoke\", \"f\": \"write\", \"value\": 1}\n\
        {\"client\": 0, \"type\": \"ok\", \"f\": \"write\", \"value\": 1}\n\
        {\"client\": 1, \"type\": \"invoke\", \"f\": \"read\"}\n\
        {\"client\": 1, \"type\": \"ok\", \"f\": \"read\", \"value\": null}\n";

    #[test]
    fn a_history_directive_embeds_its_examples_checked() {
        let chapter =
            compile("```history\nexamples: stale.jsonl\ncaption: A stale read.\npaste: yes\n```\n")
                .unwrap();
        let [Block::History(h)] = chapter.blocks.as_slice() else {
            panic!("{:?}", chapter.blocks)
        };
        assert!(h.paste);
        assert_eq!(h.caption.as_deref(), Some("A stale read."));
        assert_eq!(h.examples[0].label, "stale");
        assert_eq!(
            h.examples[0].view.outcome,
            engine::lin::Outcome::NotLinearizable
        );
    }

    const FRONT: &str = "---\ntitle: Hard things\nhours: 2\nsummary: Why.\n---\n";

    fn compile(body: &str) -> Result<Chapter, ContentError> {
        compile_chapter(
            "content/01-hard.md",
            "01-hard.md",
            &format!("{FRONT}{body}"),
            &catalog(),
        )
    }

    #[test]
    fn the_first_use_of_a_glossary_term_links_to_the_glossary_and_names_its_section() {
        let text = format!(
            "{FRONT}## Intro\n\nNo term here, `lease` in code, [a lease](02-next.md) in a link.\n\n\
             ## Leases\n\nA lease expires. Another lease.\n\n```text\na lease\n```\n\n\
             ## Glossary\n\nLease\n: A grant that expires.\n"
        );
        let (chapter, _, terms) =
            compile_with_links("content/01-hard.md", "01-hard.md", &text, &catalog()).unwrap();
        let html: String = chapter
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Html(h) => Some(h.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(html.matches("class=\"term\"").count(), 1, "{html}");
        assert!(html.contains(
            "A <a class=\"term\" href=\"#/glossary/lease\" title=\"In the glossary\">lease</a> expires."
        ));
        assert_eq!(terms.definitions[0].line, 20);
        assert_eq!(
            terms.first_use[0].as_ref().map(|s| s.id.as_str()),
            Some("leases")
        );
    }

    #[test]
    fn a_page_outside_the_agenda_has_no_number_or_hours_and_its_own_route() {
        let text = "---\ntitle: Guide\nsummary: How to decide.\n---\n## Decide\n\nSee [chapter 2](02-next.md).\n";
        let page =
            compile_chapter("content/pages/guide.md", "pages/guide.md", text, &catalog()).unwrap();
        assert_eq!(
            (page.number, page.hours, page.slug.as_str()),
            (0, 0, "guide")
        );
        let Block::Html(html) = &page.blocks[0] else {
            panic!("{:?}", page.blocks)
        };
        assert!(html.contains("href=\"#/page/guide/decide\""), "{html}");
        let with_hours = "---\ntitle: Guide\nhours: 2\nsummary: S\n---\n";
        let err = compile_chapter(
            "content/pages/guide.md",
            "pages/guide.md",
            with_hours,
            &catalog(),
        )
        .unwrap_err();
        assert!(err.message.contains("no `hours`"), "{err}");
        let err = compile_chapter("content/pages/Guide.md", "pages/Guide.md", text, &catalog())
            .unwrap_err();
        assert!(err.message.contains("named like"), "{err}");
    }

    #[test]
    fn prose_headings_and_directives_become_blocks() {
        let chapter = compile(
            "## Networks lie\n\nText with [a link](02-next.md#models).\n\n```sim\nscenario: retry-lossy\nseed: 9\n```\n\n### Networks lie\n\n```challenge\nid: vector-clocks\n```\n\n```rust\nlet x = 1;\n```\n",
        )
        .unwrap();
        assert_eq!(
            (chapter.number, chapter.slug.as_str(), chapter.hours),
            (1, "hard", 2)
        );
        let ids: Vec<_> = chapter.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["networks-lie", "networks-lie-2"]);
        assert_eq!(chapter.simulations, ["retry-lossy"]);
        assert_eq!(chapter.challenges, ["vector-clocks"]);
        assert_eq!(chapter.blocks.len(), 5);
        let Block::Html(first) = &chapter.blocks[0] else {
            panic!("{:?}", chapter.blocks[0])
        };
        assert!(first.contains("<h2 id=\"networks-lie\">"), "{first}");
        assert!(first.contains("href=\"#/chapter/next/models\""), "{first}");
        assert_eq!(
            chapter.blocks[1],
            Block::Sim(SimEmbed {
                scenario: "retry-lossy".into(),
                seed: 9,
                caption: None
            })
        );
        assert!(matches!(&chapter.blocks[3], Block::Challenge(c) if c.id == "vector-clocks"));
        assert!(matches!(&chapter.blocks[4], Block::Html(h) if h.contains("language-rust")));
    }

    #[test]
    fn broken_content_is_reported_with_file_and_line() {
        // Line numbers count the five front matter lines.
        let cases = [
            (
                "para\n\n```sim\nscenario: nope\n```\n",
                9,
                "unknown scenario `nope`",
            ),
            ("```sim\nseed: 1\n```\n", 7, "`scenario: …` is required"),
            (
                "```sim\nscenario: retry-lossy\nseed: many\n```\n",
                8,
                "`seed` must be a whole number",
            ),
            (
                "```challenge\nid: paxos\n```\n",
                7,
                "unknown challenge `paxos`",
            ),
            (
                "```quiz\n? Why?\n- a\n  > x\n```\n",
                9,
                "at least two answers",
            ),
            ("# Title again\n", 6, "use `##`"),
            (
                "```history\ncaption: x\n```\n",
                7,
                "`examples: file, file, …` is required",
            ),
            (
                "```history\nexamples: nope.log\n```\n",
                7,
                "no file `nope.log` in content/histories/ (known: broken.jsonl, stale.jsonl)",
            ),
            (
                "```history\nexamples: broken.jsonl\n```\n",
                7,
                "content/histories/broken.jsonl:1:",
            ),
            (
                "```history\nexamples: stale.jsonl\npaste: maybe\n```\n",
                8,
                "`paste` is `yes` or `no`",
            ),
        ];
        for (body, line, needle) in cases {
            let err = compile(body).unwrap_err();
            assert_eq!(err.file, "content/01-hard.md");
            assert_eq!(err.line, line, "{body:?}: {err}");
            assert!(err.message.contains(needle), "{body:?}: {err}");
            assert!(err
                .to_string()
                .starts_with(&format!("content/01-hard.md:{line}: ")));
        }
    }

    /// Histories for ```classify tests, beside the common catalog's.
    fn classify_catalog() -> Catalog {
        let line = |client: u64, kind: &str, f: &str, value: &str| {
            format!("{{\"client\": {client}, \"type\": \"{kind}\", \"f\": \"{f}\", \"value\": {value}}}\n")
        };
        // A failed write first: the view leaves it out, so its indices are one less than the
        // checkers' raw ones.
        let failed_then_stale = [
            line(2, "invoke", "write", "9"),
            line(2, "fail", "write", "9"),
            STALE.to_string(),
        ]
        .concat();
        // Two writes of 1: which one a read saw cannot be told (the session checks: unknown).
        let duplicate = [
            line(0, "invoke", "write", "1"),
            line(0, "ok", "write", "1"),
            line(1, "invoke", "write", "1"),
            line(1, "ok", "write", "1"),
        ]
        .concat();
        // A compare-and-set: causal memory is not defined for it (not applicable).
        let cas = [
            line(0, "invoke", "cas", "[0, 1]"),
            line(0, "fail", "cas", "[0, 1]"),
        ]
        .concat();
        let long: String = (0..=CLASSIFY_OPERATIONS_MAX)
            .flat_map(|v| {
                [
                    line(0, "invoke", "write", &v.to_string()),
                    line(0, "ok", "write", &v.to_string()),
                ]
            })
            .collect();
        let mut catalog = catalog();
        catalog.histories.extend([
            (
                "classify/failed-then-stale.jsonl".to_string(),
                failed_then_stale,
            ),
            ("duplicate.jsonl".to_string(), duplicate),
            ("cas.jsonl".to_string(), cas),
            ("long.jsonl".to_string(), long),
        ]);
        catalog
    }

    fn compile_classify(body: &str) -> Result<Chapter, ContentError> {
        compile_chapter(
            "content/01-hard.md",
            "01-hard.md",
            &format!("{FRONT}{body}"),
            &classify_catalog(),
        )
    }

    #[test]
    fn a_classify_directive_embeds_the_key_the_checkers_computed() {
        let chapter = compile_classify(
            "```classify\nhistories: stale.jsonl, classify/failed-then-stale.jsonl\ncaption: Which?\n```\n",
        )
        .unwrap();
        let [Block::Classify(embed)] = chapter.blocks.as_slice() else {
            panic!("{:?}", chapter.blocks)
        };
        assert_eq!(embed.caption.as_deref(), Some("Which?"));
        let [stale, shifted] = embed.histories.as_slice() else {
            panic!("{:?}", embed.histories)
        };
        assert_eq!(stale.id, "hard/stale.jsonl");
        assert_eq!(shifted.id, "hard/classify/failed-then-stale.jsonl");
        let models: Vec<ConsistencyModel> = stale.answers.iter().map(|a| a.model).collect();
        assert_eq!(models, CLASSIFY_MODELS);
        // A stale read: everything but linearizability holds.
        let holds: Vec<bool> = stale.answers.iter().map(|a| a.holds).collect();
        assert_eq!(holds, [false, true, true, true, true, true, true]);
        let lin = &stale.answers[0];
        assert!(lin.sentence.starts_with("stale read"), "{}", lin.sentence);
        assert_eq!(lin.operations, [0, 1]);
        assert!(stale.answers[1..].iter().all(|a| a.operations.is_empty()));
        assert_eq!(stale.labels, ["w 1", "r nil"]);
        // The same operations, counted in the drawing, which has no failed write.
        assert_eq!(shifted.view.operations.len(), 2);
        assert_eq!(shifted.answers[0].operations, [0, 1]);
        assert_eq!(shifted.view.operations[1].description, "read() -> nil");
        // The index keeps the ids and the models that hold.
        let key = &chapter.exercises[0];
        assert_eq!(key.id, "hard/stale.jsonl");
        assert_eq!(key.holds, &CLASSIFY_MODELS[1..]);
        assert_eq!(chapter.exercises.len(), 2);
    }

    #[test]
    fn a_staleness_directive_takes_a_seed_and_a_caption_once_per_chapter() {
        let chapter = compile("```staleness\nseed: 4\ncaption: Predict first.\n```\n").unwrap();
        let [Block::Staleness(embed)] = chapter.blocks.as_slice() else {
            panic!("{:?}", chapter.blocks)
        };
        assert_eq!(embed.seed, 4);
        assert_eq!(embed.caption.as_deref(), Some("Predict first."));
        let default = compile("```staleness\n```\n").unwrap();
        assert!(matches!(
            default.blocks.as_slice(),
            [Block::Staleness(StalenessEmbed {
                seed: 1,
                caption: None
            })]
        ));
        // Line numbers count the five front matter lines.
        let e = compile("```staleness\nseed: soon\n```\n").unwrap_err();
        assert_eq!(e.line, 7);
        assert!(e.message.contains("`seed` must be a whole number"), "{e}");
        let e = compile("```staleness\nn: 3\n```\n").unwrap_err();
        assert_eq!(e.line, 7);
        let e = compile("```staleness\n```\n\n```staleness\n```\n").unwrap_err();
        assert_eq!(e.line, 10);
        assert!(e.message.contains("one staleness chart"), "{e}");
    }

    #[test]
    fn short_labels_name_keys_values_and_unknown_outcomes() {
        let text = "{\"client\": 0, \"type\": \"invoke\", \"f\": \"put\", \"key\": \"x\", \"value\": \"1\"}\n\
            {\"client\": 0, \"type\": \"info\", \"f\": \"put\", \"key\": \"x\", \"value\": \"1\"}\n\
            {\"client\": 1, \"type\": \"invoke\", \"f\": \"get\", \"key\": \"y\"}\n\
            {\"client\": 1, \"type\": \"ok\", \"f\": \"get\", \"key\": \"y\", \"value\": \"\"}\n";
        let (_, raw) = engine::lin::read(text, engine::lin::Format::Auto).unwrap();
        let labels: Vec<String> = raw.operations.iter().map(short_label).collect();
        assert_eq!(labels, ["w x=1?", "r y=nil"]);
    }

    #[test]
    fn broken_classify_directives_are_reported_with_file_line_and_model() {
        // Line numbers count the five front matter lines.
        let cases = [
            (
                "```classify\ncaption: x\n```\n",
                7,
                "`histories: file, file, …` is required",
            ),
            (
                "```classify\nhistories: stale.jsonl\nanswer: yes\n```\n",
                8,
                "unknown key `answer` (allowed: histories, caption)",
            ),
            (
                "```classify\nhistories: , \n```\n",
                7,
                "`histories` lists no file",
            ),
            (
                "```classify\nhistories: stale.jsonl, nope.jsonl\n```\n",
                7,
                "no file `nope.jsonl` in content/histories/",
            ),
            (
                "```classify\nhistories: stale.jsonl, stale.jsonl\n```\n",
                7,
                "`stale.jsonl` is listed twice",
            ),
            (
                "```classify\nhistories: stale.jsonl\n```\n\n```classify\nhistories: stale.jsonl\n```\n",
                11,
                "`stale.jsonl` is already an exercise of this chapter",
            ),
            (
                "```classify\nhistories: broken.jsonl\n```\n",
                7,
                "content/histories/broken.jsonl:1:",
            ),
            (
                "```classify\nhistories: duplicate.jsonl\n```\n",
                7,
                "content/histories/duplicate.jsonl: read-your-writes has no verdict (unknown: written values are not unique",
            ),
            (
                "```classify\nhistories: cas.jsonl\n```\n",
                7,
                "content/histories/cas.jsonl: causal has no verdict (not applicable:",
            ),
            (
                "```classify\nhistories: long.jsonl\n```\n",
                7,
                "content/histories/long.jsonl has 25 operations; a history to classify by eye has at most 24",
            ),
        ];
        for (body, line, needle) in cases {
            let err = compile_classify(body).unwrap_err();
            assert_eq!(err.line, line, "{body:?}: {err}");
            assert!(err.message.contains(needle), "{body:?}: {err}");
            assert!(
                err.to_string()
                    .starts_with(&format!("content/01-hard.md:{line}: in ```classify: ")),
                "{err}"
            );
        }
    }

    #[test]
    fn history_files_are_read_from_subfolders_by_their_relative_path() {
        let dir = std::env::temp_dir().join(format!("contentc-histories-{}", std::process::id()));
        let classify = dir.join("histories").join("classify");
        std::fs::create_dir_all(&classify).unwrap();
        std::fs::write(dir.join("histories").join("top.jsonl"), STALE).unwrap();
        std::fs::write(classify.join("one.jsonl"), STALE).unwrap();
        std::fs::write(classify.join("README.md"), "not a history").unwrap();
        let mut errors = Vec::new();
        let histories = read_histories(&dir, &mut errors);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<&str> = histories.keys().map(String::as_str).collect();
        assert_eq!(names, ["classify/one.jsonl", "top.jsonl"]);
    }

    #[test]
    fn front_matter_and_file_names_are_checked() {
        let bad_name = compile_chapter("x", "1-hard.md", FRONT, &catalog()).unwrap_err();
        assert!(bad_name.message.contains("NN-slug.md"));
        let no_front = compile_chapter("x", "01-hard.md", "## Hi\n", &catalog()).unwrap_err();
        assert!(no_front.message.contains("front matter"));
        let hours = compile_chapter(
            "x",
            "01-hard.md",
            "---\ntitle: T\nhours: 99\nsummary: S\n---\n",
            &catalog(),
        )
        .unwrap_err();
        assert_eq!(hours.line, 3);
        let missing = compile_chapter(
            "x",
            "01-hard.md",
            "---\ntitle: T\nhours: 2\n---\n",
            &catalog(),
        )
        .unwrap_err();
        assert!(missing.message.contains("summary"));
    }

    #[test]
    fn quizzes_get_stable_ids_and_rendered_text() {
        let chapter = compile(
            "```quiz\n? Is `x` **bold**?\n* yes\n  > Right.\n- no\n  > Wrong.\n```\n\n```quiz\n? Again?\n* a\n  > A.\n- b\n  > B.\n```\n",
        )
        .unwrap();
        let quizzes: Vec<_> = chapter
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Quiz(q) => Some(q),
                _ => None,
            })
            .collect();
        assert_eq!(quizzes.len(), 2);
        assert_eq!(quizzes[0].id, "hard/q1");
        assert_eq!(quizzes[1].id, "hard/q2");
        assert_eq!(
            quizzes[0].question_html,
            "Is <code>x</code> <strong>bold</strong>?"
        );
        assert!(quizzes[0].options[0].correct);
        // The index keeps ids and right answers, so progress needs no body.
        let keys: Vec<(&str, &[usize])> = chapter
            .quizzes
            .iter()
            .map(|k| (k.id.as_str(), k.right.as_slice()))
            .collect();
        assert_eq!(keys, [("hard/q1", &[0][..]), ("hard/q2", &[0][..])]);
    }

    #[test]
    fn split_moves_bodies_to_files_named_by_their_content() {
        let chapter = compile("Some text.\n\n```challenge\nid: vector-clocks\n```\n").unwrap();
        assert_eq!(chapter.challenges, ["vector-clocks"]);
        let course = Course {
            chapters: vec![chapter],
            pages: Vec::new(),
            glossary: Vec::new(),
            glossary_file: String::new(),
            search_file: String::new(),
        };
        let (index, files) = crate::split(&course);
        assert!(index.chapters[0].blocks.is_empty());
        let [(path, json), (search_path, search), (glossary_path, _)] = files.as_slice() else {
            panic!("{files:?}")
        };
        assert_eq!(&index.glossary_file, glossary_path);
        assert_eq!(&index.search_file, search_path);
        let entries: Vec<Vec<&str>> = search.lines().map(|l| l.split('\t').collect()).collect();
        assert!(
            entries.iter().any(|e| e[0] == "#/chapter/hard"
                && e[1].starts_with("Chapter 1 · ")
                && e[3] == "Some text."),
            "{entries:?}"
        );
        assert!(
            entries.iter().any(|e| e[2] == "Challenge: Vector clocks"),
            "{entries:?}"
        );
        assert_eq!(&index.chapters[0].body_file, path);
        assert!(
            path.starts_with("chapters/hard.") && path.ends_with(".json"),
            "{path}"
        );
        let body: crate::ChapterBody = serde_json::from_str(json).unwrap();
        assert_eq!(body.blocks, course.chapters[0].blocks);
        // Same content, same name; other content, another name.
        assert_eq!(crate::split(&course).1[0].0, *path);
        let mut changed = course.clone();
        changed.chapters[0].blocks.pop();
        assert_ne!(crate::split(&changed).1[0].0, *path);
        // The index serializes without bodies.
        assert!(!serde_json::to_string(&index)
            .unwrap()
            .contains("\"blocks\""));
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("CAP, stated precisely"), "cap-stated-precisely");
        assert_eq!(
            slugify("Raft §5.2: Leader election"),
            "raft-52-leader-election"
        );
        assert_eq!(slugify("  Read/write quorums  "), "read-write-quorums");
    }
}

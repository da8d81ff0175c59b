//! The course compiled from `content/` at build time (see `build.rs`): the index (titles,
//! sections, quiz keys) is embedded; each chapter's body is a separate file fetched when the
//! chapter opens and kept for the rest of the visit.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use contentc::{Block, Chapter, ChapterBody, Course};

static COURSE_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/course.json"));

/// The whole course, parsed once.
pub fn course() -> &'static Course {
    static COURSE: OnceLock<Course> = OnceLock::new();
    COURSE.get_or_init(|| serde_json::from_str(COURSE_JSON).expect("build.rs wrote a valid course"))
}

/// The chapter with this slug.
pub fn chapter(slug: &str) -> Option<&'static Chapter> {
    course().chapters.iter().find(|c| c.slug == slug)
}

/// The page outside the agenda with this slug.
pub fn page(slug: &str) -> Option<&'static Chapter> {
    course().pages.iter().find(|c| c.slug == slug)
}

/// The chapters before and after the one with this slug.
pub fn neighbours(slug: &str) -> (Option<&'static Chapter>, Option<&'static Chapter>) {
    let chapters = &course().chapters;
    let Some(index) = chapters.iter().position(|c| c.slug == slug) else {
        return (None, None);
    };
    let previous = index.checked_sub(1).and_then(|i| chapters.get(i));
    (previous, chapters.get(index + 1))
}

thread_local! {
    /// Bodies fetched so far, by slug. Leaked on purpose: a body lives as long as the page, and
    /// widgets borrow from it for `'static`.
    static BODIES: RefCell<HashMap<String, &'static [Block]>> = RefCell::new(HashMap::new());
}

/// The body of `chapter`, fetched once per visit. Errors are sentences for the reader.
pub async fn load_body(chapter: &'static Chapter) -> Result<&'static [Block], String> {
    if let Some(blocks) = BODIES.with(|b| b.borrow().get(&chapter.slug).copied()) {
        return Ok(blocks);
    }
    let text = fetch_text(&chapter.body_file).await?;
    let body: ChapterBody = serde_json::from_str(&text).map_err(|e| {
        format!("The chapter's file is damaged ({e}); reload the page to fetch it again.")
    })?;
    if body.slug != chapter.slug {
        return Err("The site's files do not belong together; reload the page.".into());
    }
    let blocks: &'static [Block] = Box::leak(body.blocks.into_boxed_slice());
    BODIES.with(|b| b.borrow_mut().insert(chapter.slug.clone(), blocks));
    Ok(blocks)
}

/// What the glossary page needs of the glossary's file (`contentc::GlossaryBody`): it is drawn
/// at build time, so the first view carries no code to lay it out.
#[derive(serde::Deserialize)]
pub struct Glossary {
    /// How many terms.
    pub count: usize,
    /// The drawn glossary.
    pub html: String,
}

thread_local! {
    /// The glossary once fetched. Leaked on purpose, like the bodies.
    static GLOSSARY: RefCell<Option<&'static Glossary>> = const { RefCell::new(None) };
}

/// The course glossary, fetched once per visit. Errors are sentences for the reader.
pub async fn load_glossary() -> Result<&'static Glossary, String> {
    if let Some(glossary) = GLOSSARY.with(|g| *g.borrow()) {
        return Ok(glossary);
    }
    let text = fetch_text(&course().glossary_file).await?;
    let glossary: Glossary = serde_json::from_str(&text).map_err(|e| {
        format!("The glossary's file is damaged ({e}); reload the page to fetch it again.")
    })?;
    let glossary: &'static Glossary = Box::leak(Box::new(glossary));
    GLOSSARY.with(|g| *g.borrow_mut() = Some(glossary));
    Ok(glossary)
}

/// The search index (`contentc::search`: href, place, title, text per line), fetched the
/// first time search opens, with each entry's title and text in ASCII lower case for matching
/// (the same byte offsets as the originals, which snippets rely on).
pub struct SearchIndex {
    /// The entries as written.
    pub entries: Vec<(String, String, String, String)>,
    /// Each entry's title and text in lower case.
    pub lower: Vec<(String, String)>,
}

impl SearchIndex {
    /// The index of `entries`.
    pub fn new(entries: Vec<(String, String, String, String)>) -> Self {
        let lower = entries
            .iter()
            .map(|(_, _, title, text)| (title.to_ascii_lowercase(), text.to_ascii_lowercase()))
            .collect();
        SearchIndex { entries, lower }
    }
}

thread_local! {
    /// The search index once fetched. Leaked on purpose, like the bodies.
    static SEARCH: RefCell<Option<&'static SearchIndex>> = const { RefCell::new(None) };
}

/// The search index if fetched already.
pub fn loaded_search() -> Option<&'static SearchIndex> {
    SEARCH.with(|s| *s.borrow())
}

/// The search index, fetched once per visit. Errors are sentences for the reader.
pub async fn load_search() -> Result<&'static SearchIndex, String> {
    if let Some(index) = SEARCH.with(|s| *s.borrow()) {
        return Ok(index);
    }
    let text = fetch_text(&course().search_file).await?;
    let entries = text
        .lines()
        .map(|line| {
            let mut f = line.splitn(4, '\t').map(String::from);
            Some((f.next()?, f.next()?, f.next()?, f.next()?))
        })
        .collect::<Option<Vec<_>>>()
        .ok_or("The search index is damaged; reload the page to fetch it again.")?;
    let index: &'static SearchIndex = Box::leak(Box::new(SearchIndex::new(entries)));
    SEARCH.with(|s| *s.borrow_mut() = Some(index));
    Ok(index)
}

async fn fetch_text(url: &str) -> Result<String, String> {
    use leptos::wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let offline =
        || "This page could not be loaded: the site did not answer (are you offline?).".to_string();
    let window = web_sys::window().ok_or_else(offline)?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|_| offline())?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| offline())?;
    if !response.ok() {
        return Err(format!(
            "This page could not be loaded (HTTP {}); reload the page.",
            response.status()
        ));
    }
    let text = JsFuture::from(response.text().map_err(|_| offline())?)
        .await
        .map_err(|_| offline())?;
    text.as_string().ok_or_else(offline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_course_has_the_seven_chapters_of_the_agenda() {
        let hours: Vec<u8> = course().chapters.iter().map(|c| c.hours).collect();
        assert_eq!(hours, [2, 2, 2, 3, 2, 2, 3]);
        let first = &course().chapters[0].slug;
        assert_eq!(neighbours(first).0, None);
        assert_eq!(neighbours(first).1.map(|c| c.number), Some(2));
        assert!(chapter("no-such-chapter").is_none());
    }
}

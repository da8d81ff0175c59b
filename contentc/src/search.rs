//! The search index: every section of every chapter and page, every challenge and every
//! glossary term as plain text, written by [`crate::split`] to a file the page fetches the first
//! time search opens (so the first view carries none of it).

use crate::glossary::GLOSSARY_HEADING;
use crate::{Block, Chapter, Course};

/// One place search can find: `(href, place, title, text)` — the route to open, where it is
/// ("Chapter 4 · Consensus with Raft"), its title and its plain text.
pub type SearchEntry = (String, String, String, String);

/// The search index of `course`, in reading order: each chapter's sections (with their prose,
/// quiz questions and simulation captions), then its challenges, then the glossary.
pub fn index(course: &Course) -> Vec<SearchEntry> {
    let mut out = Vec::new();
    for chapter in course.chapters.iter().chain(&course.pages) {
        chapter_entries(chapter, &mut out);
    }
    for term in &course.glossary {
        out.push((
            format!("#/glossary/{}", term.id),
            "Glossary".to_string(),
            term.term.clone(),
            plain(&term.definition_html),
        ));
    }
    out
}

fn chapter_entries(chapter: &Chapter, out: &mut Vec<SearchEntry>) {
    let base = if chapter.number == 0 {
        format!("#/page/{}", chapter.slug)
    } else {
        format!("#/chapter/{}", chapter.slug)
    };
    let place = if chapter.number == 0 {
        chapter.title.clone()
    } else {
        format!("Chapter {} · {}", chapter.number, chapter.title)
    };
    let title_of = |id: &str| {
        chapter
            .sections
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.title.clone())
    };
    // The section being read: its id (empty before the first heading), title and text.
    let mut section = (String::new(), chapter.title.clone(), String::new());
    let mut challenges = Vec::new();
    let href = |id: &str| {
        if id.is_empty() {
            base.clone()
        } else {
            format!("{base}/{id}")
        }
    };
    let flush = |section: &mut (String, String, String), out: &mut Vec<SearchEntry>| {
        let text = collapse(&section.2);
        if section.1 != GLOSSARY_HEADING && (!text.is_empty() || !section.0.is_empty()) {
            out.push((href(&section.0), place.clone(), section.1.clone(), text));
        }
        section.2.clear();
    };
    for block in &chapter.blocks {
        match block {
            Block::Html(html) => {
                let mut rest = html.as_str();
                while let Some((before, id, after)) = next_heading(rest) {
                    section.2.push_str(&plain(before));
                    flush(&mut section, out);
                    section.1 = title_of(id);
                    section.0 = id.to_string();
                    rest = after;
                }
                section.2.push_str(&plain(rest));
            }
            Block::Quiz(quiz) => {
                section.2.push(' ');
                section.2.push_str(&plain(&quiz.question_html));
            }
            Block::Sim(sim) => {
                if let Some(caption) = &sim.caption {
                    section.2.push(' ');
                    section.2.push_str(caption);
                }
            }
            Block::Challenge(c) => challenges.push((
                href(&section.0),
                place.clone(),
                format!("Challenge: {}", c.title),
                plain(&c.statement_html),
            )),
            Block::History(_) | Block::Classify(_) | Block::Staleness(_) => {}
        }
        section.2.push(' ');
    }
    flush(&mut section, out);
    out.extend(challenges);
}

/// The index as the page reads it: a line per entry, its four fields separated by tabs (the
/// fields are collapsed plain text, so neither a tab nor a line break is in any), which the
/// page splits without a JSON parser.
pub fn tsv(entries: &[SearchEntry]) -> String {
    let mut out = String::new();
    for (href, place, title, text) in entries {
        for field in [href, place, title, text] {
            debug_assert!(!field.contains(['\t', '\n']), "{field}");
        }
        out.push_str(&format!("{href}\t{place}\t{title}\t{text}\n"));
    }
    out
}

/// The next `<h2 id="…">` or `<h3 id="…">` in `html`: the text before it, its id and the text
/// after its closing tag.
fn next_heading(html: &str) -> Option<(&str, &str, &str)> {
    let start = [html.find("<h2 id=\""), html.find("<h3 id=\"")]
        .into_iter()
        .flatten()
        .min()?;
    let id_start = start + "<h2 id=\"".len();
    let id_len = html[id_start..].find('"')?;
    let level = &html[start + 1..start + 3];
    let close = format!("</{level}>");
    let end = html[id_start..].find(&close)? + id_start + close.len();
    Some((
        &html[..start],
        &html[id_start..id_start + id_len],
        &html[end..],
    ))
}

/// `html` as plain text: tags removed, the common entities decoded, a space where a tag was.
pub fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    collapse(&decoded)
}

/// Runs of white space as one space, trimmed; no space before closing punctuation that a
/// removed tag left there.
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let glued = word.starts_with([',', '.', ';', ':', ')', '!', '?']);
        if !out.is_empty() && !glued {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_text() {
        assert_eq!(
            plain(
                "<p>A <code>get</code>, then <em>two</em> &amp; more &lt;x&gt;.</p>\n<p>Next</p>"
            ),
            "A get, then two & more <x>. Next"
        );
    }

    #[test]
    fn the_index_is_one_line_per_entry_with_four_fields() {
        let entries = vec![(
            "#/glossary/x".to_string(),
            "Glossary".to_string(),
            "X".to_string(),
            plain("<p>one\ttwo\nthree</p>"),
        )];
        assert_eq!(tsv(&entries), "#/glossary/x\tGlossary\tX\tone two three\n");
    }

    #[test]
    fn headings_split_sections() {
        let html =
            "<p>intro</p><h2 id=\"a\">A <a href=\"#a\">#</a></h2><p>one</p><h3 id=\"b\">B</h3>tail";
        let (before, id, after) = next_heading(html).unwrap();
        assert_eq!((before, id), ("<p>intro</p>", "a"));
        let (before, id, after) = next_heading(after).unwrap();
        assert_eq!((before, id, after), ("<p>one</p>", "b", "tail"));
        assert_eq!(next_heading(after), None);
    }
}

//! The course glossary: every chapter's `## Glossary` definition list, merged at build time.
//!
//! A chapter defines its terms once, in a definition list under a `## Glossary` heading. The
//! compiler reads that list before the chapter's prose ([`definitions`]), links the first use
//! of each of the chapter's own terms in its prose to the glossary page ([`Linker`]), and
//! [`merge`] joins the chapters' lists into one [`GlossaryTerm`] per term: the first chapter
//! to define a term owns it, and a later chapter may define it again only if it says so — its
//! definition links to the chapter that owns the term — so two chapters never quietly
//! disagree about what a word means.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::compile::{chapter_route, slugify, ContentError};
use crate::{Chapter, GlossaryMention, GlossaryTerm, Section};

/// The heading under which a chapter's definition list is its glossary.
pub const GLOSSARY_HEADING: &str = "Glossary";

/// The most terms one chapter may define; a guard against a runaway list.
pub const CHAPTER_TERMS_MAX: usize = 200;

/// One term a chapter's glossary defines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    /// The term as written.
    pub term: String,
    /// Its id on the glossary page.
    pub id: String,
    /// The definition, as inline HTML (chapter links rewritten to routes).
    pub html: String,
    /// The line of the term in the chapter file.
    pub line: usize,
}

/// A chapter's definitions, with the section where the prose first uses each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChapterTerms {
    /// In the order the glossary lists them.
    pub definitions: Vec<Definition>,
    /// For each definition (same index), the section of its first use, if the prose uses it.
    pub first_use: Vec<Option<Section>>,
}

/// Reads the definition list under the chapter's `## Glossary` heading. `line_of` maps a byte
/// offset of `source` to a line of the file.
pub fn definitions(
    source: &str,
    line_of: impl Fn(usize) -> usize,
) -> Result<Vec<Definition>, (usize, String)> {
    let options = Options::ENABLE_DEFINITION_LIST | Options::ENABLE_STRIKETHROUGH;
    let mut events = Parser::new_ext(source, options).into_offset_iter();
    let mut in_glossary = false;
    let mut out: Vec<Definition> = Vec::new();
    let mut term: Option<(String, usize)> = None;
    while let Some((event, range)) = events.next() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let mut title = String::new();
                for (inner, _) in events.by_ref() {
                    match inner {
                        Event::Text(t) | Event::Code(t) => title.push_str(&t),
                        Event::End(TagEnd::Heading(_)) => break,
                        _ => {}
                    }
                }
                if level <= HeadingLevel::H2 {
                    in_glossary = title.trim() == GLOSSARY_HEADING;
                }
            }
            Event::Start(Tag::DefinitionListTitle) if in_glossary => {
                let mut text = String::new();
                for (inner, _) in events.by_ref() {
                    match inner {
                        Event::Text(t) | Event::Code(t) => text.push_str(&t),
                        Event::End(TagEnd::DefinitionListTitle) => break,
                        _ => {}
                    }
                }
                term = Some((text.trim().to_string(), line_of(range.start)));
            }
            Event::Start(Tag::DefinitionListDefinition) if in_glossary => {
                let mut inner_events = Vec::new();
                for (inner, _) in events.by_ref() {
                    match inner {
                        Event::End(TagEnd::DefinitionListDefinition) => break,
                        Event::Start(Tag::Link {
                            link_type,
                            dest_url,
                            title,
                            id,
                        }) => {
                            let dest_url = match chapter_route(&dest_url) {
                                Some((route, _, _)) => CowStr::from(route),
                                None => dest_url,
                            };
                            inner_events.push(Event::Start(Tag::Link {
                                link_type,
                                dest_url,
                                title,
                                id,
                            }));
                        }
                        Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => {}
                        other => inner_events.push(other),
                    }
                }
                let Some((text, line)) = term.take() else {
                    return Err((
                        line_of(range.start),
                        "a glossary definition needs a term on the line above it".into(),
                    ));
                };
                let id = slugify(&text);
                if id.is_empty() {
                    return Err((line, format!("the glossary term `{text}` has no letters")));
                }
                if let Some(earlier) = out.iter().find(|d| d.id == id) {
                    return Err((
                        line,
                        format!(
                            "the glossary defines `{text}` twice (also `{}` on line {})",
                            earlier.term, earlier.line
                        ),
                    ));
                }
                let mut html = String::new();
                pulldown_cmark::html::push_html(&mut html, inner_events.into_iter());
                out.push(Definition {
                    term: text,
                    id,
                    html: html.trim().to_string(),
                    line,
                });
                if out.len() > CHAPTER_TERMS_MAX {
                    return Err((
                        line,
                        format!("a glossary may define at most {CHAPTER_TERMS_MAX} terms"),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The forms of a term prose may use: the term, and each part of a pair such as
/// "Crash-stop, crash-recovery"; lower case.
fn forms(term: &str) -> Vec<String> {
    let mut forms = vec![term.to_lowercase()];
    if term.contains(", ") {
        forms.extend(term.split(", ").map(|p| p.trim().to_lowercase()));
    }
    forms.retain(|f| !f.is_empty());
    forms
}

fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

/// Where `form` first occurs in `lower` as a whole word (a trailing `s` or `es` allowed): the
/// byte range of the match in `lower`.
fn find_word(lower: &str, form: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(found) = lower[from..].find(form) {
        let start = from + found;
        let mut end = start + form.len();
        let before = lower[..start].chars().next_back();
        let rest = &lower[end..];
        if rest.starts_with("es") && !is_word_char(rest[2..].chars().next()) {
            end += 2;
        } else if rest.starts_with('s') && !is_word_char(rest[1..].chars().next()) {
            end += 1;
        }
        let after = lower[end..].chars().next();
        if !is_word_char(before) && !is_word_char(after) {
            return Some((start, end));
        }
        from = start + form.chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Links the first use of each of a chapter's terms in its prose to the glossary page.
#[derive(Debug, Default)]
pub struct Linker {
    terms: Vec<(Vec<String>, String)>,
    linked: Vec<bool>,
    first_use: Vec<Option<Section>>,
    in_heading: Vec<Option<Section>>,
    in_bold: Vec<Option<Section>>,
}

impl Linker {
    /// A linker for these definitions.
    pub fn new(definitions: &[Definition]) -> Linker {
        Linker {
            terms: definitions
                .iter()
                .map(|d| (forms(&d.term), d.id.clone()))
                .collect(),
            linked: vec![false; definitions.len()],
            first_use: vec![None; definitions.len()],
            in_heading: vec![None; definitions.len()],
            in_bold: vec![None; definitions.len()],
        }
    }

    /// A heading: a term its title names is taught in that section (headings get no links).
    pub fn heading(&mut self, title: &str, section: &Section) {
        let lower = title.to_lowercase();
        for (index, (forms, _)) in self.terms.iter().enumerate() {
            if self.in_heading[index].is_none()
                && forms.iter().any(|f| find_word(&lower, f).is_some())
            {
                self.in_heading[index] = Some(section.clone());
            }
        }
    }

    /// The events for one run of prose text in `section`: the text with the first use of each
    /// term not yet linked wrapped in a link to its glossary entry. `bold` text (strong or
    /// emphasised) that names a term is where the prose defines it.
    pub fn text<'a>(
        &mut self,
        text: CowStr<'a>,
        section: Option<&Section>,
        bold: bool,
    ) -> Vec<Event<'a>> {
        let lower = text.to_lowercase();
        if bold {
            if let Some(section) = section {
                for (index, (forms, _)) in self.terms.iter().enumerate() {
                    if self.in_bold[index].is_none()
                        && forms.iter().any(|f| find_word(&lower, f).is_some())
                    {
                        self.in_bold[index] = Some(section.clone());
                    }
                }
            }
        }
        // Case folding that changes byte lengths would misplace the link: leave such text.
        if lower.len() != text.len() || self.terms.is_empty() {
            return vec![Event::Text(text)];
        }
        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        for (index, (forms, _)) in self.terms.iter().enumerate() {
            if self.linked[index] {
                continue;
            }
            let first = forms.iter().filter_map(|f| find_word(&lower, f)).min();
            if let Some((start, end)) = first {
                if hits.iter().all(|&(s, e, _)| end <= s || start >= e) {
                    hits.push((start, end, index));
                }
            }
        }
        if hits.is_empty() {
            return vec![Event::Text(text)];
        }
        hits.sort_unstable();
        let mut events = Vec::new();
        let mut at = 0;
        for (start, end, index) in hits {
            if start > at {
                events.push(Event::Text(CowStr::from(text[at..start].to_string())));
            }
            let id = &self.terms[index].1;
            events.push(Event::InlineHtml(CowStr::from(format!(
                "<a class=\"term\" href=\"#/glossary/{id}\" title=\"In the glossary\">"
            ))));
            events.push(Event::Text(CowStr::from(text[start..end].to_string())));
            events.push(Event::InlineHtml(CowStr::from("</a>")));
            self.linked[index] = true;
            if self.first_use[index].is_none() {
                self.first_use[index] = section.cloned();
            }
            at = end;
        }
        if at < text.len() {
            events.push(Event::Text(CowStr::from(text[at..].to_string())));
        }
        events
    }

    /// For each definition, the section that teaches it: where the prose sets it in bold,
    /// else the first section whose heading names it, else where the prose first uses it.
    pub fn first_use(self) -> Vec<Option<Section>> {
        self.in_bold
            .into_iter()
            .zip(self.in_heading)
            .zip(self.first_use)
            .map(|((bold, heading), first)| bold.or(heading).or(first))
            .collect()
    }
}

/// Joins the chapters' glossaries: one entry per term, sorted by term, owned by the first
/// chapter that defines it. A later chapter's definition of the same term must link to the
/// owning chapter (it refines the term and says so); otherwise the build fails naming both.
pub fn merge(
    chapters: &[(&Chapter, &str, &ChapterTerms)],
) -> Result<Vec<GlossaryTerm>, Vec<ContentError>> {
    let mut terms: Vec<GlossaryTerm> = Vec::new();
    let mut owners: Vec<(String, usize)> = Vec::new();
    let mut errors = Vec::new();
    for (chapter, file, local) in chapters {
        for (definition, first_use) in local.definitions.iter().zip(&local.first_use) {
            let existing = terms
                .iter_mut()
                .zip(&owners)
                .find(|(t, _)| t.id == definition.id);
            match existing {
                None => {
                    owners.push((file.to_string(), definition.line));
                    terms.push(GlossaryTerm {
                        id: definition.id.clone(),
                        term: definition.term.clone(),
                        definition_html: definition.html.clone(),
                        chapter: chapter.number,
                        slug: chapter.slug.clone(),
                        chapter_title: chapter.title.clone(),
                        section: first_use.clone(),
                        also: Vec::new(),
                    });
                }
                Some((term, (owner_file, owner_line))) => {
                    let says_so = definition
                        .html
                        .contains(&format!("href=\"#/chapter/{}", term.slug));
                    if !says_so {
                        errors.push(ContentError {
                            file: file.to_string(),
                            line: definition.line,
                            message: format!(
                                "`{}` is already defined in {owner_file}:{owner_line}; define it \
                                 the same way there, or link this definition to chapter {} to \
                                 say it refines that one",
                                definition.term, term.chapter
                            ),
                        });
                        continue;
                    }
                    term.also.push(GlossaryMention {
                        chapter: chapter.number,
                        slug: chapter.slug.clone(),
                        chapter_title: chapter.title.clone(),
                        definition_html: definition.html.clone(),
                        section: first_use.clone(),
                    });
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    terms.sort_by(|a, b| {
        a.term
            .to_lowercase()
            .cmp(&b.term.to_lowercase())
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(terms)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The text of some HTML without its markup.
fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

/// The letter a term is filed under (`#` for one that starts with no Latin letter).
pub fn letter(term: &str) -> char {
    term.chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .filter(char::is_ascii_alphabetic)
        .unwrap_or('#')
}

fn taught_at(chapter: u8, slug: &str, title: &str, section: Option<&Section>) -> String {
    match section {
        Some(s) => format!(
            "<a href=\"#/chapter/{slug}/{}\">Chapter {chapter}, {} — {}</a>",
            s.id,
            escape(title),
            escape(&s.title)
        ),
        None => format!(
            "<a href=\"#/chapter/{slug}\">Chapter {chapter}, {}</a>",
            escape(title)
        ),
    }
}

/// The glossary page's body: a letter index, then one entry per term with its definition,
/// where it is taught, and the chapters that refine it. The page filters entries by their
/// `data-search` text and marks the one the URL names.
pub fn render(terms: &[GlossaryTerm]) -> String {
    let mut letters: Vec<(char, &str)> = Vec::new();
    for term in terms {
        let l = letter(&term.term);
        if letters.last().map(|(x, _)| *x) != Some(l) {
            letters.push((l, &term.id));
        }
    }
    let mut html = String::from("<nav class=\"glossary-letters\" aria-label=\"Terms by letter\">");
    for (l, id) in letters {
        html.push_str(&format!("<a href=\"#/glossary/{id}\">{l}</a>"));
    }
    html.push_str("</nav><dl class=\"glossary-list\">");
    for term in terms {
        let mut search = format!("{} {}", term.term, plain(&term.definition_html));
        for also in &term.also {
            search.push(' ');
            search.push_str(&plain(&also.definition_html));
        }
        html.push_str(&format!(
            "<div class=\"glossary-entry\" id=\"term-{id}\" data-search=\"{search}\">\
             <dt><a class=\"glossary-anchor\" href=\"#/glossary/{id}\">{name}</a></dt>\
             <dd><p>{definition}</p><p class=\"taught\">Taught in {taught}</p>",
            id = term.id,
            search = escape(&search.to_lowercase()),
            name = escape(&term.term),
            definition = term.definition_html,
            taught = taught_at(
                term.chapter,
                &term.slug,
                &term.chapter_title,
                term.section.as_ref()
            ),
        ));
        for also in &term.also {
            html.push_str(&format!(
                "<p class=\"also\">{} <span class=\"taught\">({})</span></p>",
                also.definition_html,
                taught_at(
                    also.chapter,
                    &also.slug,
                    &also.chapter_title,
                    also.section.as_ref()
                )
            ));
        }
        html.push_str("</dd></div>");
    }
    html.push_str("</dl>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "Intro.\n\n## Glossary\n\nLease\n: A time-bounded grant; \
        see [chapter 3](03-replication.md#fencing).\n\nCrash-stop, crash-recovery\n: Two \
        failure models.\n";

    fn defs() -> Vec<Definition> {
        definitions(SOURCE, |b| SOURCE[..b].matches('\n').count() + 1).unwrap()
    }

    #[test]
    fn the_glossary_section_is_read_with_lines_and_routes() {
        let d = defs();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].term, "Lease");
        assert_eq!(d[0].id, "lease");
        assert_eq!(d[0].line, 5);
        assert!(
            d[0].html.contains("href=\"#/chapter/replication/fencing\""),
            "{}",
            d[0].html
        );
        assert_eq!(d[1].id, "crash-stop-crash-recovery");
    }

    #[test]
    fn definitions_outside_the_glossary_are_not_terms() {
        let source = "## Notes\n\nThing\n: Not a term.\n";
        assert!(definitions(source, |_| 1).unwrap().is_empty());
    }

    #[test]
    fn a_term_defined_twice_in_one_chapter_is_an_error() {
        let source = "## Glossary\n\nLease\n: One.\n\nlease\n: Two.\n";
        let err = definitions(source, |b| source[..b].matches('\n').count() + 1).unwrap_err();
        assert!(err.1.contains("twice"), "{}", err.1);
        assert_eq!(err.0, 6);
    }

    fn linked_html(linker: &mut Linker, text: &'static str) -> String {
        let mut html = String::new();
        pulldown_cmark::html::push_html(
            &mut html,
            linker.text(CowStr::from(text), None, false).into_iter(),
        );
        html
    }

    #[test]
    fn only_the_first_whole_word_use_is_linked_plurals_included() {
        let mut linker = Linker::new(&defs());
        let html = linked_html(&mut linker, "Release the leases; a lease again.");
        assert_eq!(
            html,
            "Release the <a class=\"term\" href=\"#/glossary/lease\" title=\"In the glossary\">leases</a>; a lease again."
        );
        let again = linked_html(&mut linker, "A lease.");
        assert!(!again.contains("<a"), "{again}");
        let pair = linked_html(&mut linker, "Under crash-recovery a node returns.");
        assert!(
            pair.contains("#/glossary/crash-stop-crash-recovery"),
            "{pair}"
        );
    }

    fn chapter(number: u8, slug: &str) -> Chapter {
        Chapter {
            number,
            slug: slug.into(),
            title: format!("Chapter {number}"),
            hours: 2,
            summary: String::new(),
            sections: Vec::new(),
            quizzes: Vec::new(),
            challenges: Vec::new(),
            simulations: Vec::new(),
            exercises: Vec::new(),
            body_file: String::new(),
            blocks: Vec::new(),
        }
    }

    fn terms(list: &[(&str, &str)]) -> ChapterTerms {
        let definitions: Vec<Definition> = list
            .iter()
            .enumerate()
            .map(|(i, (term, html))| Definition {
                term: (*term).into(),
                id: slugify(term),
                html: (*html).into(),
                line: i + 10,
            })
            .collect();
        ChapterTerms {
            first_use: vec![None; definitions.len()],
            definitions,
        }
    }

    #[test]
    fn merged_terms_are_sorted_and_owned_by_the_first_chapter() {
        let (one, three) = (chapter(1, "hard"), chapter(3, "replication"));
        let a = terms(&[("Vector clock", "A map."), ("Fencing token", "A number.")]);
        let b = terms(&[(
            "Fencing token",
            "An epoch (see <a href=\"#/chapter/hard/leases\">chapter 1</a>).",
        )]);
        let merged = merge(&[
            (&one, "content/01-hard.md", &a),
            (&three, "content/03-r.md", &b),
        ])
        .unwrap();
        let names: Vec<&str> = merged.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(names, ["Fencing token", "Vector clock"]);
        assert_eq!(merged[0].chapter, 1);
        assert_eq!(merged[0].also.len(), 1);
        assert_eq!(merged[0].also[0].chapter, 3);
    }

    #[test]
    fn a_term_redefined_without_saying_so_fails_the_build_naming_both_places() {
        let (one, three) = (chapter(1, "hard"), chapter(3, "replication"));
        let a = terms(&[("Fencing token", "A number.")]);
        let b = terms(&[("fencing token", "Something else.")]);
        let errors = merge(&[
            (&one, "content/01-hard.md", &a),
            (&three, "content/03-r.md", &b),
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, "content/03-r.md");
        assert!(
            errors[0].message.contains("content/01-hard.md:10"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn the_page_is_drawn_with_letters_entries_and_searchable_text() {
        let (one, three) = (chapter(1, "hard"), chapter(3, "replication"));
        let a = terms(&[
            ("Vector clock", "A <em>map</em> &amp; more."),
            ("Fencing token", "A number."),
        ]);
        let b = terms(&[(
            "Fencing token",
            "An epoch (see <a href=\"#/chapter/hard/leases\">chapter 1</a>).",
        )]);
        let merged = merge(&[
            (&one, "content/01-hard.md", &a),
            (&three, "content/03-r.md", &b),
        ])
        .unwrap();
        let html = render(&merged);
        assert!(html.starts_with("<nav class=\"glossary-letters\""));
        assert!(html.contains(
            "<a href=\"#/glossary/fencing-token\">F</a><a href=\"#/glossary/vector-clock\">V</a>"
        ));
        assert!(
            html.contains("data-search=\"vector clock a map &amp; more.\""),
            "{html}"
        );
        assert!(html.contains("Taught in <a href=\"#/chapter/hard\">Chapter 1, Chapter 1</a>"));
        assert!(html.contains("<span class=\"taught\">(<a href=\"#/chapter/replication\">Chapter 3, Chapter 3</a>)</span>"));
        assert_eq!(html.matches("class=\"glossary-entry\"").count(), 2);
        assert_eq!(letter("φ accrual failure detector"), '#');
    }

    #[test]
    fn the_section_that_sets_a_term_in_bold_teaches_it_even_after_an_earlier_use() {
        let section = |id: &str| Section {
            id: id.into(),
            title: id.into(),
            level: 2,
        };
        let mut linker = Linker::new(&defs());
        let _ = linker.text(
            CowStr::from("A lease, in passing."),
            Some(&section("intro")),
            false,
        );
        let _ = linker.text(CowStr::from("crash-stop"), Some(&section("models")), false);
        linker.heading("Crash-recovery in practice", &section("practice"));
        let _ = linker.text(CowStr::from("lease"), Some(&section("leases")), true);
        let taught: Vec<Option<String>> = linker
            .first_use()
            .into_iter()
            .map(|s| s.map(|s| s.id))
            .collect();
        assert_eq!(taught, [Some("leases".into()), Some("practice".into())]);
    }

    #[test]
    fn words_that_merely_contain_a_term_are_not_linked() {
        let mut linker = Linker::new(&defs());
        for text in ["Releasers", "leaseholder", "pre-lease", "leased"] {
            assert!(!linked_html(&mut linker, text).contains("<a"), "{text}");
        }
    }
}

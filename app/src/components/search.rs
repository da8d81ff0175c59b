//! Search (`/` or Ctrl+K): every section of the chapters and pages, every challenge and every
//! glossary term. The index is written by the content build (`contentc::search`) and fetched
//! the first time search opens; matching is plain word search in the page.

use leptos::prelude::*;

use crate::course::{load_search, loaded_search, SearchIndex};
use crate::history::layout::escape;

/// Results listed at most.
pub const RESULTS_MAX: usize = 12;
/// Characters of context a snippet shows before the match.
const SNIPPET_BEFORE: usize = 50;
/// Characters a snippet shows in all, about.
const SNIPPET_LEN: usize = 160;

/// The query's words, in lower case.
pub fn words(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// How well an entry matches `words` (its title and text in lower case), `None` unless every
/// word is in one of them: a word in the title counts 10, each of its first five places in the
/// text 1, and a title that is the whole query 50 more.
pub fn score(title: &str, text: &str, words: &[String]) -> Option<u32> {
    if words.is_empty() {
        return None;
    }
    let mut score = 0;
    for word in words {
        let in_title = title.contains(word.as_str());
        let hits = text.matches(word.as_str()).take(5).count() as u32;
        if !in_title && hits == 0 {
            return None;
        }
        score += hits + if in_title { 10 } else { 0 };
    }
    if title == words.join(" ") {
        score += 50;
    }
    Some(score)
}

/// The entries that match `query`, best first (reading order among equals), at most
/// [`RESULTS_MAX`].
pub fn find(index: &SearchIndex, query: &str) -> Vec<usize> {
    let words = words(query);
    let mut found: Vec<(u32, usize)> = index
        .lower
        .iter()
        .enumerate()
        .filter_map(|(i, (title, text))| score(title, text, &words).map(|s| (s, i)))
        .collect();
    found.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    found
        .into_iter()
        .take(RESULTS_MAX)
        .map(|(_, i)| i)
        .collect()
}

/// The largest char boundary of `s` at or below `i`.
fn floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// About [`SNIPPET_LEN`] characters of `text` around the first place `word` is in `lower`
/// (`text` in ASCII lower case, so the offsets agree), cut at spaces, with … where cut.
pub fn snippet(text: &str, lower: &str, word: &str) -> String {
    let at = lower.find(word).unwrap_or(0);
    let mut start = floor(text, at.saturating_sub(SNIPPET_BEFORE));
    if start > 0 {
        start = text[start..at.max(start)]
            .find(' ')
            .map_or(start, |s| start + s + 1);
    }
    let mut end = floor(text, start + SNIPPET_LEN);
    if end < text.len() {
        end = text[start..end].rfind(' ').map_or(end, |e| start + e);
    }
    format!(
        "{}{}{}",
        if start > 0 { "…" } else { "" },
        &text[start..end],
        if end < text.len() { "…" } else { "" }
    )
}

/// The search dialog; `open` shows it.
#[component]
pub fn SearchDialog(
    /// Whether it shows.
    open: RwSignal<bool>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(0usize);
    // The index lives in `course` once fetched; these say whether it has, or why not. The
    // results of the current query are recomputed as it changes.
    let loaded = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let results = StoredValue::new(Vec::<usize>::new());
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        if !loaded.get_untracked() {
            leptos::task::spawn_local(async move {
                match load_search().await {
                    Ok(_) => {
                        let _ = loaded.try_set(true);
                    }
                    Err(why) => {
                        let _ = problem.try_set(Some(why));
                    }
                }
            });
        }
        request_animation_frame(move || {
            if let Some(input) = input.get_untracked() {
                let _ = input.focus();
                input.select();
            }
        });
    });
    let index = move || loaded.get().then(loaded_search).flatten();
    let go = move |i: usize| {
        let Some(index) = loaded_search() else {
            return;
        };
        if let Some(&entry) = results.with_value(|r| r.get(i).copied()).as_ref() {
            open.set(false);
            if let Some(window) = web_sys::window() {
                let _ = window
                    .location()
                    .set_hash(index.entries[entry].0.trim_start_matches('#'));
            }
        }
    };
    let on_key = move |e: leptos::ev::KeyboardEvent| {
        let n = results.with_value(Vec::len);
        match e.key().as_str() {
            "ArrowDown" | "ArrowUp" if n > 0 => {
                let step = if e.key() == "ArrowDown" { 1 } else { n - 1 };
                selected.update(|s| *s = (*s + step) % n);
                // Keep the chosen result in view once the list is redrawn.
                let id = format!("search-result-{}", selected.get_untracked());
                request_animation_frame(move || {
                    if let Some(el) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.get_element_by_id(&id))
                    {
                        let options = web_sys::ScrollIntoViewOptions::new();
                        options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                        el.scroll_into_view_with_scroll_into_view_options(&options);
                    }
                });
            }
            "Enter" => go(selected.get_untracked()),
            "Escape" => open.set(false),
            _ => return,
        }
        e.prevent_default();
    };
    let status = move || {
        if let Some(why) = problem.get() {
            return why;
        }
        let Some(index) = index() else {
            return "Loading the index…".to_string();
        };
        let q = query.get();
        if words(&q).is_empty() {
            return "Type a word: a term, a protocol, a property.".to_string();
        }
        match find(index, &q).len() {
            0 => "Nothing matches every word; try fewer words.".to_string(),
            1 => "1 result".to_string(),
            n if n == RESULTS_MAX => format!("The best {n} results"),
            n => format!("{n} results"),
        }
    };
    // The results as one HTML string rather than a view per result: they are redrawn whole
    // at every keystroke anyway.
    let list = move || {
        let q = query.get();
        let Some(index) = index() else {
            return String::new();
        };
        let found = find(index, &q);
        // The snippet shows the longest word, the likeliest to be the specific one.
        let first = words(&q)
            .into_iter()
            .max_by_key(String::len)
            .unwrap_or_default();
        let chosen = selected.get();
        let mut html = String::new();
        for (i, &entry) in found.iter().enumerate() {
            let (href, place, title, text) = &index.entries[entry];
            html.push_str(&format!(
                "<li role=\"none\"><a role=\"option\" id=\"search-result-{i}\" aria-selected=\"{}\"{} href=\"{}\" tabindex=\"-1\">\
                 <span class=\"search-place\">{}</span><strong>{}</strong>\
                 <span class=\"search-snippet\">{}</span></a></li>",
                i == chosen,
                if i == chosen { " class=\"selected\"" } else { "" },
                escape(href),
                escape(place),
                escape(title),
                escape(&snippet(text, &index.lower[entry].1, &first)),
            ));
        }
        results.set_value(found);
        html
    };
    move || {
        open.get().then(|| {
            view! {
                <div class="dialog-backdrop search-backdrop" on:click=move |_| open.set(false)>
                    <div class="dialog search-dialog" role="dialog" aria-modal="true" aria-label="Search the course"
                        on:click=|e| e.stop_propagation()>
                        <input type="search" class="search-input" node_ref=input
                            placeholder="Search chapters, challenges and the glossary"
                            role="combobox" aria-expanded="true" aria-controls="search-results"
                            aria-autocomplete="list" aria-label="Search the course"
                            aria-activedescendant=move || format!("search-result-{}", selected.get())
                            prop:value=move || query.get()
                            on:input=move |e| {
                                query.set(event_target_value(&e));
                                selected.set(0);
                            }
                            on:keydown=on_key/>
                        <p class="muted search-status" role="status" aria-live="polite">{status}</p>
                        <ul class="search-results" id="search-results" role="listbox" aria-label="Results"
                            inner_html=list on:click=move |_| open.set(false)></ul>
                        <p class="muted search-keys"><kbd>"↑"</kbd>" "<kbd>"↓"</kbd>" to choose, "<kbd>"Enter"</kbd>" to open, "<kbd>"Esc"</kbd>" to close"</p>
                    </div>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(entries: &[(&str, &str)]) -> SearchIndex {
        SearchIndex::new(
            entries
                .iter()
                .map(|(title, text)| {
                    (
                        "#/".to_string(),
                        "Chapter 1".to_string(),
                        title.to_string(),
                        text.to_string(),
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn every_word_must_match_and_titles_count_most() {
        let idx = index(&[
            ("Quorums", "A read quorum and a write quorum overlap."),
            (
                "Linearizable reads",
                "ReadIndex confirms leadership with a quorum.",
            ),
            ("Leases", "A lease read trusts clocks."),
        ]);
        assert_eq!(find(&idx, "quorum"), [0, 1]);
        assert_eq!(find(&idx, "READ quorum"), [0, 1]);
        assert_eq!(find(&idx, "lease clocks"), [2]);
        assert_eq!(find(&idx, "lease paxos"), Vec::<usize>::new());
        assert_eq!(find(&idx, "   "), Vec::<usize>::new());
        // The whole query as a title wins.
        assert_eq!(find(&idx, "linearizable reads"), [1]);
    }

    #[test]
    fn results_are_capped() {
        let many: Vec<(&str, &str)> = (0..30).map(|_| ("Raft", "raft")).collect();
        assert_eq!(find(&index(&many), "raft").len(), RESULTS_MAX);
    }

    #[test]
    fn snippets_show_the_match_with_its_context() {
        let text = format!(
            "{}The commit rule counts replicas of the current term only, never of an earlier one, which is Figure 8. {}",
            "Raft elects a leader per term. ".repeat(10),
            "Tail words follow here. ".repeat(10)
        );
        let lower = text.to_ascii_lowercase();
        let s = snippet(&text, &lower, "figure");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("Figure 8"), "{s}");
        assert!(s.chars().count() <= SNIPPET_LEN + 2, "{s}");
        assert_eq!(
            snippet("short — text", "short — text", "text"),
            "short — text"
        );
        // Multi-byte characters near the cut points never split.
        let dashes = "—".repeat(100) + " word";
        let _ = snippet(&dashes, &dashes.to_ascii_lowercase(), "word");
    }
}

//! The course glossary: every term the chapters define, merged and drawn at build time (see
//! `contentc::glossary`); the page shows it, narrows it as you type and marks the term the URL
//! names.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::browser::scroll_to;
use crate::course::{load_glossary, Glossary};

/// Whether an entry shows for this filter: every word of the filter is in its search text
/// (lower case, built at build time).
pub fn matches(search: &str, filter: &str) -> bool {
    filter
        .split_whitespace()
        .all(|word| search.contains(&word.to_ascii_lowercase()))
}

/// Shows the entries that match `filter`, hides the rest; returns how many show.
fn apply_filter(filter: &str) -> usize {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return 0;
    };
    let Ok(entries) = document.query_selector_all(".glossary-entry") else {
        return 0;
    };
    let mut shown = 0;
    for i in 0..entries.length() {
        let Some(entry) = entries
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let search = entry.get_attribute("data-search").unwrap_or_default();
        let show = matches(&search, filter);
        shown += usize::from(show);
        let _ = entry.class_list().toggle_with_force("hidden", !show);
    }
    shown
}

fn counted(n: usize) -> String {
    match n {
        1 => "1 term".to_string(),
        n => format!("{n} terms"),
    }
}

fn body(glossary: &'static Glossary, term: Option<String>) -> impl IntoView {
    let shown = RwSignal::new(glossary.count);
    request_animation_frame(move || {
        if let Some(id) = term {
            let target = format!("term-{id}");
            if let Some(e) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&target))
            {
                let _ = e.class_list().add_1("current");
            }
            scroll_to(Some(&target));
        }
    });
    view! {
        <p class="lede">{format!(
            "The {} terms the chapters define, each with the section that teaches it. In a chapter, \
             the first use of a term links here.",
            glossary.count
        )}</p>
        <div class="glossary-tools">
            <label class="glossary-filter">
                <span>"Filter"</span>
                <input type="search" placeholder="quorum, clock, …" autocomplete="off"
                    on:input=move |e| shown.set(apply_filter(&event_target_value(&e)))/>
            </label>
            <span class="muted" role="status" aria-live="polite">{move || counted(shown.get())}</span>
        </div>
        <div inner_html=glossary.html.as_str()></div>
        <p class="muted" class:hidden=move || shown.get() != 0>"No term matches; try fewer words."</p>
    }
}

/// The glossary page; `term` is scrolled to and marked once the glossary has loaded.
#[component]
pub fn GlossaryPage(
    /// The term asked for in the URL.
    term: Option<String>,
) -> impl IntoView {
    let loaded = LocalResource::new(load_glossary);
    view! {
        <div class="glossary">
            <h1>"Glossary"</h1>
            {move || match loaded.get() {
                None => view! { <p class="chapter-loading muted" role="status">"Loading the glossary…"</p> }.into_any(),
                Some(Err(message)) => view! {
                    <div class="chapter-load-error" role="alert">
                        <p>{message}</p>
                        <button type="button" class="button primary" on:click=move |_| loaded.refetch()>"Try again"</button>
                    </div>
                }.into_any(),
                Some(Ok(glossary)) => body(glossary, term.clone()).into_any(),
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_needs_every_word_in_any_case() {
        let search = "vector clock a map from node to counter; see chapter 1.";
        assert!(matches(search, ""));
        assert!(matches(search, "VECTOR"));
        assert!(matches(search, "counter  clock"));
        assert!(!matches(search, "counter lamport"));
    }
}

//! The frame around every page: header, routing, keyboard shortcuts, notices.

use leptos::ev;
use leptos::prelude::*;

use crate::browser::{current_hash, scroll_to};
use crate::components::search::SearchDialog;
use crate::components::shortcuts::ShortcutsDialog;
use crate::course::{course, neighbours};
use crate::pages::{
    chapter::ChapterPage, glossary::GlossaryPage, home::HomePage, not_found::NotFoundPage,
};
use crate::route::{chapter_href, Route};
use crate::sims::{Mount, SimMount};
use crate::store::Store;
use crate::theme::use_theme;

fn navigate(href: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(href.trim_start_matches('#'));
    }
}

/// A link back to the chapter that embeds a shared run's simulation (a run token starts
/// `<version>~<scenario>~`), or to the course overview when no chapter does.
fn home_of_shared_run(token: &str) -> impl IntoView {
    let asked = token.split('~').nth(1).unwrap_or_default();
    let chapters = &crate::course::course().chapters;
    // A mistyped id opens the run it most likely meant (the sims module corrects it the same
    // way), so the way back leads to that run's chapter.
    let scenario = engine::catalog::closest(
        asked,
        chapters
            .iter()
            .flat_map(|c| c.simulations.iter().map(String::as_str)),
    );
    let chapter = scenario.and_then(|id| {
        chapters
            .iter()
            .find(|c| c.simulations.iter().any(|s| s == id))
    });
    match chapter {
        Some(c) => view! {
            <a href=format!("#/chapter/{}", c.slug)>{format!("← Chapter {}: {}", c.number, c.title)}</a>
        }
        .into_any(),
        None => view! { <a href="#/">"← All chapters"</a> }.into_any(),
    }
}

/// The app.
#[component]
pub fn App() -> impl IntoView {
    let store = Store::load();
    provide_context(store);
    let theme = use_theme();
    provide_context(theme);
    let initial = Route::parse(&current_hash()).unwrap_or(Route::Home);
    let route = RwSignal::new(initial);
    let help_open = RwSignal::new(false);
    let search_open = RwSignal::new(false);

    let on_hash = move || match Route::parse(&current_hash()) {
        Some(next) => route.set(next),
        // A plain in-page anchor: stay on the page and scroll to it.
        None => scroll_to(Some(current_hash().trim_start_matches('#'))),
    };
    let _ = window_event_listener(ev::hashchange, move |_| on_hash());

    // After the page for a route is drawn, bring the asked-for section into view and name the tab.
    Effect::new(move |_| {
        let current = route.get();
        let (title, section) = match &current {
            Route::Home => (
                "DistSys Lab — Distributed Systems Fundamentals".to_string(),
                None,
            ),
            Route::Chapter { slug, section } => (
                crate::course::chapter(slug).map_or("Not found — DistSys Lab".to_string(), |c| {
                    format!("{}. {} — DistSys Lab", c.number, c.title)
                }),
                section.clone(),
            ),
            Route::Sim { .. } => ("Shared simulation run — DistSys Lab".to_string(), None),
            Route::Page { slug, section } => (
                crate::course::page(slug).map_or("Not found — DistSys Lab".to_string(), |c| {
                    format!("{} — DistSys Lab", c.title)
                }),
                section.clone(),
            ),
            Route::Glossary { .. } => ("Glossary — DistSys Lab".to_string(), None),
            Route::Bench => ("Performance — DistSys Lab".to_string(), None),
            Route::NotFound(_) => ("Not found — DistSys Lab".to_string(), None),
        };
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&title);
        }
        if let Route::Chapter { .. } = &current {
            crate::pages::home::remember_place(&current);
        }
        request_animation_frame(move || scroll_to(section.as_deref()));
    });

    let _ = window_event_listener(ev::keydown, move |event: ev::KeyboardEvent| {
        // Ctrl+K (⌘K) searches from anywhere, even from a field.
        if (event.ctrl_key() || event.meta_key()) && !event.alt_key() && event.key() == "k" {
            event.prevent_default();
            help_open.set(false);
            search_open.set(true);
            return;
        }
        if event.ctrl_key() || event.meta_key() || event.alt_key() || dom::typing_in_a_field(&event)
        {
            return;
        }
        let slug = match route.get_untracked() {
            Route::Chapter { slug, .. } => Some(slug),
            _ => None,
        };
        match event.key().as_str() {
            "?" => help_open.update(|open| *open = !*open),
            "/" => search_open.set(true),
            "Escape" => {
                help_open.set(false);
                search_open.set(false);
            }
            "t" => theme.update(|t| *t = t.toggled()),
            "h" => navigate("#/"),
            "g" => navigate("#/glossary"),
            "n" | "p" => {
                let (previous, next) = match &slug {
                    Some(slug) => neighbours(slug),
                    None => (None, course().chapters.first()),
                };
                let target = if event.key() == "n" { next } else { previous };
                if let Some(chapter) = target {
                    navigate(&chapter_href(&chapter.slug));
                }
            }
            _ => return,
        }
        event.prevent_default();
    });

    view! {
        <a class="skip-link" href="#main" on:click=move |e| {
            e.prevent_default();
            scroll_to(Some("main"));
        }>"Skip to content"</a>
        <header class="site-header">
            <a class="brand" href="#/" aria-label="DistSys Lab home">
                <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
                    <circle cx="16" cy="6" r="4"></circle>
                    <circle cx="6" cy="24" r="4"></circle>
                    <circle cx="26" cy="24" r="4"></circle>
                    <path d="M16 6 L6 24 L26 24 Z"></path>
                </svg>
                <span>"DistSys Lab"</span>
            </a>
            <nav class="header-nav" aria-label="Site">
                <a href="#/">"Course"</a>
                {crate::course::course().pages.first().map(|p| view! {
                    <a href=format!("#/page/{}", p.slug) class="nav-guide">"Guide"</a>
                })}
                <a href="#/glossary" title="Glossary (g)">"Glossary"</a>
                <button class="icon-button search-button" type="button" on:click=move |_| search_open.set(true)
                    aria-label="Search" title="Search (/ or Ctrl+K)">"⌕"</button>
                <button class="icon-button" type="button" on:click=move |_| help_open.set(true)
                    aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">"?"</button>
                <button class="icon-button theme-toggle" type="button"
                    on:click=move |_| theme.update(|t| *t = t.toggled())
                    aria-label=move || format!("Switch to {} theme", theme.get().toggled().as_str())
                    title="Toggle theme (t)">
                    {move || if theme.get() == crate::theme::Theme::Dark { "☀" } else { "☾" }}
                </button>
            </nav>
        </header>
        <StorageNotice/>
        <main id="main" tabindex="-1">
            {move || match route.get() {
                Route::Home => view! { <HomePage/> }.into_any(),
                Route::Chapter { slug, .. } => match crate::course::chapter(&slug) {
                    Some(chapter) => view! { <ChapterPage chapter=chapter/> }.into_any(),
                    None => view! { <NotFoundPage asked=format!("/chapter/{slug}")/> }.into_any(),
                },
                Route::Sim { step, token } => {
                    let back = home_of_shared_run(&token);
                    view! {
                        <div class="shared-sim">
                            <nav class="shared-sim-back" aria-label="Where this simulation is taught">{back}</nav>
                            <h1>"Shared simulation run"</h1>
                            <SimMount what=Mount::Shared { token, step }/>
                        </div>
                    }.into_any()
                }
                Route::Page { slug, .. } => match crate::course::page(&slug) {
                    Some(page) => view! { <ChapterPage chapter=page/> }.into_any(),
                    None => view! { <NotFoundPage asked=format!("/page/{slug}")/> }.into_any(),
                },
                Route::Glossary { term } => view! { <GlossaryPage term=term/> }.into_any(),
                Route::Bench => view! { <SimMount what=Mount::Bench/> }.into_any(),
                Route::NotFound(path) => view! { <NotFoundPage asked=path/> }.into_any(),
            }}
        </main>
        <footer class="site-footer">
            <p>
                "DistSys Lab runs entirely in your browser: simulations, checkers and your code never leave this page. "
                "Press " <kbd>"?"</kbd> " for keyboard shortcuts. "
                <a href="#/bench">"Performance in this browser"</a>"."
            </p>
        </footer>
        <ShortcutsDialog open=help_open/>
        <SearchDialog open=search_open/>
    }
}

/// A banner for storage problems (damaged progress, storage unavailable or full).
#[component]
fn StorageNotice() -> impl IntoView {
    let store = expect_context::<Store>();
    move || {
        store.storage_problem.get().map(|message| {
            view! {
                <div class="notice notice-warning" role="alert">
                    <p>{message}</p>
                    <button type="button" on:click=move |_| store.storage_problem.set(None)>"Dismiss"</button>
                </div>
            }
        })
    }
}

//! A chapter: table of contents, prose with embedded widgets, previous/next links.

use contentc::{Block, Chapter};
use leptos::prelude::*;

use crate::browser::{current_hash, scroll_to};
use crate::components::embed::{ChallengeBlock, SimBlock};
use crate::components::progress_bar::ProgressBar;
use crate::components::quiz::QuizView;
use crate::components::staleness::StalenessBlock;
use crate::course::{load_body, neighbours};
use crate::history::classify::ClassifyBlock;
use crate::history::HistoryBlock;
use crate::route::{chapter_href, Route};
use crate::store::Store;

fn wide_screen() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(min-width: 861px)").ok().flatten())
        .is_none_or(|m| m.matches())
}

/// One chapter page.
#[component]
pub fn ChapterPage(
    /// The chapter to show.
    chapter: &'static Chapter,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let counts = Memo::new(move |_| store.progress.with(|p| p.chapter(chapter)));
    let (previous, next) = neighbours(&chapter.slug);
    let toc = chapter
        .sections
        .iter()
        .map(|section| {
            let href = Route::section_of(chapter, Some(section.id.clone())).href();
            view! { <li class=format!("toc-level-{}", section.level)><a href=href>{section.title.as_str()}</a></li> }
        })
        .collect_view();
    let body = LocalResource::new(move || load_body(chapter));
    // Once the body is drawn, bring the section the URL names into view (the shell tried before
    // the body arrived).
    Effect::new(move |_| {
        if matches!(body.get(), Some(Ok(_))) {
            request_animation_frame(move || {
                if let Some(section) = Route::parse(&current_hash())
                    .as_ref()
                    .and_then(Route::section)
                {
                    scroll_to(Some(section));
                }
            });
        }
    });
    let blocks = move || {
        match body.get() {
        None => view! {
            <p class="chapter-loading muted" role="status" aria-busy="true">"Loading the chapter…"</p>
        }
        .into_any(),
        Some(Err(message)) => view! {
            <div class="chapter-load-error" role="alert">
                <p>{message}</p>
                <button type="button" class="button primary" on:click=move |_| body.refetch()>"Try again"</button>
            </div>
        }
        .into_any(),
        Some(Ok(blocks)) => blocks
            .iter()
            .map(|block| match block {
                Block::Html(html) => {
                    view! { <div class="prose" inner_html=html.as_str()></div> }.into_any()
                }
                Block::Quiz(quiz) => view! { <QuizView quiz=quiz/> }.into_any(),
                Block::Sim(embed) => view! { <SimBlock embed=embed/> }.into_any(),
                Block::Challenge(embed) => view! { <ChallengeBlock embed=embed/> }.into_any(),
                Block::History(embed) => view! { <HistoryBlock embed=embed/> }.into_any(),
                Block::Classify(embed) => view! { <ClassifyBlock embed=embed/> }.into_any(),
                Block::Staleness(embed) => view! { <StalenessBlock embed=embed/> }.into_any(),
            })
            .collect_view()
            .into_any(),
    }
    };
    view! {
        <div class="chapter-layout">
            <aside class="toc" aria-label="On this page">
                // Open beside the text on wide screens; folded above it on narrow ones.
                <details prop:open=wide_screen()>
                    <summary class="toc-title">"On this page"</summary>
                    <ol>{toc}</ol>
                </details>
                {(chapter.number != 0).then(|| view! { <ProgressBar counts=counts/> })}
            </aside>
            <article class="chapter">
                <header class="chapter-header">
                    <p class="eyebrow">{if chapter.number == 0 {
                        "Across the chapters".to_string()
                    } else {
                        format!("Chapter {} · {} h of the workshop", chapter.number, chapter.hours)
                    }}</p>
                    <h1>{chapter.title.as_str()}</h1>
                    <p class="lede">{chapter.summary.as_str()}</p>
                </header>
                {blocks}
                <nav class="chapter-nav" aria-label="Chapters">
                    {previous.map(|c| view! {
                        <a class="prev" href=chapter_href(&c.slug) rel="prev">
                            <span class="muted">"Previous"</span>
                            <span>{format!("{}. {}", c.number, c.title)}</span>
                        </a>
                    })}
                    {next.map(|c| view! {
                        <a class="next" href=chapter_href(&c.slug) rel="next">
                            <span class="muted">"Next"</span>
                            <span>{format!("{}. {}", c.number, c.title)}</span>
                        </a>
                    })}
                </nav>
            </article>
        </div>
    }
}

//! "Classify this history": a ```classify directive's exercises. The learner steps through the
//! histories, ticks the consistency models each satisfies and checks; every model is then marked
//! right or wrong with the checker's sentence, and a violation's explanation highlights the
//! operations that show it on the drawing.
//!
//! The answer key was computed by the engine's checkers when the site was built, so the page
//! runs no checker. The drawing is the history view's, laid out plain (nothing the
//! linearizability checker found is drawn). The models ticked at a history's last check are
//! saved with progress; a history is solved when they are exactly the models that hold.

use contentc::{ClassifyAnswer, ClassifyEmbed, ClassifyHistory};
use engine::consistency::ConsistencyModel;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use super::layout::{escape, fit_rank_px, lay_out_plain, plain_rank_px_min, svg};
use crate::store::Store;

/// Width the drawing is fitted to before it is measured (px).
const DEFAULT_WIDTH: f64 = 760.0;

/// A model's name on its checkbox.
pub fn model_label(model: ConsistencyModel) -> &'static str {
    match model {
        ConsistencyModel::Linearizable => "Linearizable",
        ConsistencyModel::Sequential => "Sequential",
        ConsistencyModel::Causal => "Causal",
        ConsistencyModel::ReadYourWrites => "Read your writes",
        ConsistencyModel::MonotonicReads => "Monotonic reads",
        ConsistencyModel::MonotonicWrites => "Monotonic writes",
        ConsistencyModel::WritesFollowReads => "Writes follow reads",
        ConsistencyModel::Converged => "Converged",
    }
}

/// What the result panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Nothing yet: the learner is ticking.
    Nothing,
    /// The last check, each model marked right or wrong.
    Checked,
    /// The answer key, unmarked.
    Answer,
}

/// The models ticked, by name, in the history's answer order.
pub fn ticked_names(history: &ClassifyHistory, ticks: &[bool]) -> Vec<String> {
    history
        .answers
        .iter()
        .zip(ticks)
        .filter(|(_, &t)| t)
        .map(|(a, _)| a.model.name().to_string())
        .collect()
}

/// Checkbox states from saved names (an unknown name ticks nothing).
pub fn ticks_from_names(history: &ClassifyHistory, names: &[String]) -> Vec<bool> {
    history
        .answers
        .iter()
        .map(|a| names.iter().any(|n| n == a.model.name()))
        .collect()
}

/// The one-line summary the result panel announces.
pub fn summary(history: &ClassifyHistory, ticks: &[bool], shown: Shown) -> String {
    let names = |pick: &dyn Fn(&ClassifyAnswer, bool) -> bool| {
        let list: Vec<&str> = history
            .answers
            .iter()
            .zip(ticks)
            .filter(|(a, &t)| pick(a, t))
            .map(|(a, _)| model_label(a.model))
            .collect();
        if list.is_empty() {
            "none".to_string()
        } else {
            list.join(", ")
        }
    };
    match shown {
        Shown::Nothing => String::new(),
        Shown::Answer => format!("The answer: it satisfies {}.", names(&|a, _| a.holds)),
        Shown::Checked => {
            let wrong = history
                .answers
                .iter()
                .zip(ticks)
                .filter(|(a, &t)| a.holds != t)
                .count();
            if wrong == 0 {
                format!("Correct: it satisfies exactly {}.", names(&|a, _| a.holds))
            } else {
                format!(
                    "Not quite: {wrong} of {} wrong ({}).",
                    history.answers.len(),
                    names(&|a, t| a.holds != t)
                )
            }
        }
    }
}

/// The result list: per model, the verdict, whether the learner was right (when checked), and
/// the checker's sentence; a violation's sentence is a button (`data-answer`) that highlights
/// its operations, pressed when `pinned`.
pub fn results_markup(
    history: &ClassifyHistory,
    ticks: &[bool],
    shown: Shown,
    pinned: Option<usize>,
) -> String {
    if shown == Shown::Nothing {
        return String::new();
    }
    let mut out = String::new();
    for (i, (answer, &ticked)) in history.answers.iter().zip(ticks).enumerate() {
        let (class, mark) = match (shown, answer.holds == ticked) {
            (Shown::Checked, true) => ("right", "✓ right"),
            (Shown::Checked, false) => ("wrong", "✗ wrong"),
            _ => ("answer", ""),
        };
        let verdict = if answer.holds { "holds" } else { "violated" };
        let sentence = escape(&answer.sentence);
        let why = if answer.holds || answer.operations.is_empty() {
            format!("<span class=\"classify-why\">{sentence}</span>")
        } else {
            format!(
                "<button type=\"button\" class=\"classify-why\" data-answer=\"{i}\" \
                 aria-pressed=\"{}\" title=\"Highlight its operations on the drawing\">{sentence}</button>",
                pinned == Some(i)
            )
        };
        out.push_str(&format!(
            "<li class=\"classify-result {class}\"><span class=\"classify-verdict\">\
             <strong>{}</strong> {verdict}{}</span>{why}</li>",
            model_label(answer.model),
            if mark.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"classify-mark\">{mark}</span>")
            }
        ));
    }
    out
}

/// What the highlighted operations are, in words (the drawing also rings them).
pub fn marked_text(history: &ClassifyHistory, answer: Option<usize>) -> String {
    let Some(answer) = answer.and_then(|i| history.answers.get(i)) else {
        return String::new();
    };
    let ops: Vec<String> = answer
        .operations
        .iter()
        .filter_map(|&i| {
            let op = history.view.operations.get(i)?;
            let label = history.labels.get(i).unwrap_or(&op.description);
            Some(format!("client {} {label}", op.client))
        })
        .collect();
    format!(
        "Highlighted for {}: {}.",
        model_label(answer.model),
        ops.join(", ")
    )
}

/// A ```classify directive.
#[component]
pub fn ClassifyBlock(
    /// The directive, with its answer key computed at build time.
    embed: &'static ClassifyEmbed,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let histories = &embed.histories;
    let count = histories.len();
    let saved = move |i: usize| {
        store
            .progress
            .with_untracked(|p| p.classify.get(&histories[i].id).cloned())
    };
    let index = RwSignal::new(0usize);
    let ticks = RwSignal::new(Vec::new());
    let shown = RwSignal::new(Shown::Nothing);
    let pinned = RwSignal::new(None::<usize>);
    let hovered = RwSignal::new(None::<usize>);
    let width = RwSignal::new(DEFAULT_WIDTH);
    let drawing = NodeRef::<leptos::html::Div>::new();
    let open = move |i: usize| {
        let history = &histories[i];
        let names = saved(i);
        ticks.set(ticks_from_names(
            history,
            names.as_deref().unwrap_or_default(),
        ));
        shown.set(if names.is_some() {
            Shown::Checked
        } else {
            Shown::Nothing
        });
        pinned.set(None);
        hovered.set(None);
        index.set(i);
    };
    open(0);
    // Fit the drawing to the space it has once it is on the page.
    Effect::new(move |_| {
        if let Some(el) = drawing.get() {
            request_animation_frame(move || {
                let _ = width.try_set(f64::from(el.client_width().max(200)));
            });
        }
    });

    let history = move || &histories[index.get()];
    let check = move || {
        let h = &histories[index.get_untracked()];
        let names = ticks.with_untracked(|t| ticked_names(h, t));
        store.progress.update(|p| {
            p.classify.insert(h.id.clone(), names);
        });
        pinned.set(None);
        shown.set(Shown::Checked);
    };
    let solved = move || {
        let h = history();
        store.progress.with(|p| p.solved(&h.key()))
    };
    let solved_count = move || {
        store
            .progress
            .with(|p| histories.iter().filter(|h| p.solved(&h.key())).count())
    };
    let marked = Memo::new(move |_| {
        let h = history();
        hovered
            .get()
            .or(pinned.get())
            .and_then(|a| h.answers.get(a))
            .map(|a| a.operations.clone())
            .unwrap_or_default()
    });
    let markup = move || {
        let h = history();
        let px = fit_rank_px(h.view.ranks, width.get()).max(plain_rank_px_min(&h.view, &h.labels));
        let layout = lay_out_plain(&h.view, &h.labels, px);
        marked.with(|m| svg(&h.view, &layout, None, m))
    };
    let results = move || {
        let h = history();
        ticks.with(|t| results_markup(h, t, shown.get(), pinned.get()))
    };
    let summary_text = move || ticks.with(|t| summary(history(), t, shown.get()));
    let summary_class = move || {
        let h = history();
        let all_right = ticks.with(|t| h.answers.iter().zip(t).all(|(a, &t)| a.holds == t));
        match shown.get() {
            Shown::Checked if all_right => "classify-summary right",
            Shown::Checked => "classify-summary wrong",
            _ => "classify-summary",
        }
    };
    let marked_line = move || marked_text(history(), hovered.get().or(pinned.get()));

    // One listener per kind of event for the result list: the target names its answer.
    let answer_of = |ev: &web_sys::Event| {
        ev.target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|t| t.closest("[data-answer]").ok().flatten())
            .and_then(|el| el.get_attribute("data-answer"))
            .and_then(|a| a.parse::<usize>().ok())
    };
    let checkboxes = move || {
        let h = history();
        h.answers
            .iter()
            .enumerate()
            .map(|(i, answer)| {
                view! {
                    <li>
                        <label>
                            <input type="checkbox"
                                prop:checked=move || ticks.with(|t| t.get(i).copied().unwrap_or(false))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    ticks.update(|t| if let Some(slot) = t.get_mut(i) { *slot = on });
                                    if shown.get_untracked() == Shown::Checked {
                                        shown.set(Shown::Nothing);
                                    }
                                }/>
                            {model_label(answer.model)}
                        </label>
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <section class="classify" aria-label="Classify this history">
            <p class="quiz-kicker">"Classify this history"</p>
            <div class="classify-nav">
                <button type="button" class="button" aria-label="Previous history"
                    disabled=move || index.get() == 0
                    on:click=move |_| open(index.get_untracked().saturating_sub(1))>"← Previous"</button>
                <span class="classify-position" aria-live="polite">
                    {move || format!("History {} of {count}", index.get() + 1)}
                    <span class="classify-solved" hidden=move || !solved()>" · ✓ solved"</span>
                    <span class="muted">{move || format!(" · {} of {count} solved", solved_count())}</span>
                </span>
                <button type="button" class="button" aria-label="Next history"
                    disabled=move || index.get() + 1 == count
                    on:click=move |_| open((index.get_untracked() + 1).min(count - 1))>"Next →"</button>
            </div>
            <div class="history-scroll classify-drawing" node_ref=drawing inner_html=markup></div>
            <p class="classify-marked muted" aria-live="polite">{marked_line}</p>
            <form class="classify-form"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    check();
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    let on_checkbox = ev
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                        .is_some_and(|input| input.type_() == "checkbox");
                    if ev.key() == "Enter" && on_checkbox {
                        ev.prevent_default();
                        check();
                    }
                }>
                <fieldset>
                    <legend>"Which models does this history satisfy? Tick every one."</legend>
                    <ul class="classify-models">{checkboxes}</ul>
                </fieldset>
                <p class="classify-actions">
                    <button type="submit" class="button primary">"Check"</button>
                    " "
                    <button type="button" class="button" on:click=move |_| {
                        pinned.set(None);
                        shown.set(Shown::Answer);
                    }>"Show answer"</button>
                </p>
            </form>
            <div class="classify-result-panel">
                <p class=summary_class role="status" aria-live="polite">{summary_text}</p>
                <ul class="classify-results"
                    inner_html=results
                    on:mouseover=move |ev| hovered.set(answer_of(&ev))
                    on:mouseout=move |_| hovered.set(None)
                    on:focusin=move |ev| hovered.set(answer_of(&ev))
                    on:focusout=move |_| hovered.set(None)
                    on:click=move |ev| {
                        if let Some(a) = answer_of(&ev) {
                            pinned.update(|p| *p = if *p == Some(a) { None } else { Some(a) });
                        }
                    }
                ></ul>
            </div>
            <p class="classify-caption muted" hidden=embed.caption.is_none()>{embed.caption.clone()}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contentc::CLASSIFY_MODELS;
    use engine::lin::{view_text, Budget, Format};

    /// A stale read: client 1 reads nil after client 0's write of 1 completed.
    fn stale() -> ClassifyHistory {
        let text = r#"{"client": 0, "type": "invoke", "f": "write", "value": 1}
{"client": 0, "type": "ok", "f": "write", "value": 1}
{"client": 1, "type": "invoke", "f": "read"}
{"client": 1, "type": "ok", "f": "read", "value": null}
"#;
        ClassifyHistory {
            id: "ch/stale.jsonl".into(),
            file: "stale.jsonl".into(),
            view: view_text(text, Format::Auto, &mut Budget::default()).unwrap(),
            labels: vec!["w 1".into(), "r nil".into()],
            answers: CLASSIFY_MODELS
                .iter()
                .map(|&model| ClassifyAnswer {
                    model,
                    holds: model != ConsistencyModel::Linearizable,
                    sentence: if model == ConsistencyModel::Linearizable {
                        "stale read: client 1 read nil after <client 0>'s write".into()
                    } else {
                        "holds".into()
                    },
                    operations: if model == ConsistencyModel::Linearizable {
                        vec![0, 1]
                    } else {
                        vec![]
                    },
                })
                .collect(),
        }
    }

    fn ticks(on: &[ConsistencyModel]) -> Vec<bool> {
        CLASSIFY_MODELS.iter().map(|m| on.contains(m)).collect()
    }

    #[test]
    fn ticks_round_trip_through_saved_names() {
        let h = stale();
        let t = ticks(&[ConsistencyModel::Causal, ConsistencyModel::ReadYourWrites]);
        let names = ticked_names(&h, &t);
        assert_eq!(names, ["causal", "read-your-writes"]);
        assert_eq!(ticks_from_names(&h, &names), t);
        assert_eq!(ticks_from_names(&h, &["no-such-model".into()]), ticks(&[]));
    }

    #[test]
    fn a_check_marks_every_model_and_names_the_wrong_ones() {
        let h = stale();
        let right = ticks(&CLASSIFY_MODELS[1..]);
        assert_eq!(
            summary(&h, &right, Shown::Checked),
            "Correct: it satisfies exactly Sequential, Causal, Read your writes, Monotonic \
             reads, Monotonic writes, Writes follow reads."
        );
        let all = ticks(&CLASSIFY_MODELS);
        assert_eq!(
            summary(&h, &all, Shown::Checked),
            "Not quite: 1 of 7 wrong (Linearizable)."
        );
        let markup = results_markup(&h, &all, Shown::Checked, None);
        assert_eq!(markup.matches("classify-result wrong").count(), 1);
        assert_eq!(markup.matches("classify-result right").count(), 6);
        assert!(markup.contains(
            "<strong>Linearizable</strong> violated <span class=\"classify-mark\">✗ wrong</span>"
        ));
        // Only the violation's sentence is a button, and the sentence is escaped.
        assert_eq!(markup.matches("<button").count(), 1);
        assert!(markup.contains("data-answer=\"0\" aria-pressed=\"false\""));
        assert!(markup.contains("&lt;client 0&gt;"), "{markup}");
        assert!(results_markup(&h, &all, Shown::Checked, Some(0)).contains("aria-pressed=\"true\""));
        assert_eq!(results_markup(&h, &all, Shown::Nothing, None), "");
        assert_eq!(summary(&h, &all, Shown::Nothing), "");
    }

    #[test]
    fn the_answer_is_shown_unmarked() {
        let h = stale();
        let none = ticks(&[]);
        let markup = results_markup(&h, &none, Shown::Answer, None);
        assert!(
            !markup.contains("right") && !markup.contains("wrong"),
            "{markup}"
        );
        assert_eq!(markup.matches("classify-result answer").count(), 7);
        assert!(
            summary(&h, &none, Shown::Answer).starts_with("The answer: it satisfies Sequential,")
        );
    }

    #[test]
    fn the_highlighted_operations_are_said_in_words() {
        let h = stale();
        assert_eq!(
            marked_text(&h, Some(0)),
            "Highlighted for Linearizable: client 0 w 1, client 1 r nil."
        );
        assert_eq!(marked_text(&h, None), "");
        assert_eq!(marked_text(&h, Some(99)), "");
    }

    #[test]
    fn solved_means_exactly_the_models_that_hold() {
        let h = stale();
        let mut progress = crate::progress::Progress::new();
        progress.classify.insert(
            h.id.clone(),
            ticked_names(&h, &ticks(&CLASSIFY_MODELS[1..])),
        );
        assert!(progress.solved(&h.key()));
        progress
            .classify
            .insert(h.id.clone(), ticked_names(&h, &ticks(&CLASSIFY_MODELS)));
        assert!(!progress.solved(&h.key()));
    }
}

//! A multiple-choice question. The learner's answer is remembered; choosing shows why that
//! answer is right or wrong (marked in words as well as colour), and the learner may try again.

use contentc::Quiz;
use leptos::prelude::*;

use crate::store::Store;

/// One quiz directive.
#[component]
pub fn QuizView(
    /// The question.
    quiz: &'static Quiz,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let id = quiz.id.as_str();
    let chosen = Memo::new(move |_| store.progress.with(|p| p.quizzes.get(id).copied()));
    let choose = move |index: usize| {
        store.progress.update(|p| {
            p.quizzes.insert(id.to_string(), index);
        })
    };
    let options = quiz
        .options
        .iter()
        .enumerate()
        .map(|(index, option)| {
            let is_chosen = move || chosen.get() == Some(index);
            let state = move || match (is_chosen(), option.correct) {
                (true, true) => "quiz-option chosen right",
                (true, false) => "quiz-option chosen wrong",
                _ => "quiz-option",
            };
            view! {
                <li class=state>
                    <label>
                        <input type="radio" name=id value=index.to_string()
                            prop:checked=is_chosen on:change=move |_| choose(index)/>
                        <span class="quiz-text" inner_html=option.text_html.as_str()></span>
                    </label>
                    {move || is_chosen().then(|| view! {
                        <div class="quiz-explanation" role="status" inner_html=option.explanation_html.as_str()></div>
                    })}
                </li>
            }
        })
        .collect_view();
    let (kicker, label) = if quiz.is_puzzle() {
        ("Debug it", "Debugging question")
    } else {
        ("Self-check", "Self-check question")
    };
    view! {
        <section class="quiz" class:puzzle=quiz.is_puzzle() aria-label=label>
            <p class="quiz-kicker">{kicker}</p>
            <fieldset>
                <legend class="quiz-question" inner_html=quiz.question_html.as_str()></legend>
                <ol class="quiz-options">{options}</ol>
            </fieldset>
        </section>
    }
}

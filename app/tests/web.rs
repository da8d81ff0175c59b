//! Component tests in headless Chromium (wasm-bindgen-test): the widgets against a real DOM.
#![cfg(target_arch = "wasm32")]

use app::components::quiz::QuizView;
use app::store::Store;
use contentc::{Quiz, QuizOption};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn quiz() -> &'static Quiz {
    Box::leak(Box::new(Quiz {
        id: "test/q1".into(),
        question_html: "Is a timeout proof of a crash?".into(),
        options: vec![
            QuizOption {
                text_html: "Yes".into(),
                correct: false,
                explanation_html: "A slow node looks the same.".into(),
            },
            QuizOption {
                text_html: "No".into(),
                correct: true,
                explanation_html: "Slow and dead are indistinguishable.".into(),
            },
        ],
    }))
}

/// Effects need the browser executor, which `mount_to` would start; a store made before mounting
/// needs it first. Starting it twice is harmless.
fn start_executor() {
    let _ = any_spawner::Executor::init_wasm_bindgen();
}

fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

fn click_option(root: &web_sys::HtmlElement, index: u32) {
    let inputs = root.query_selector_all("input[type=radio]").unwrap();
    let input: web_sys::HtmlElement = inputs.item(index).unwrap().unchecked_into();
    input.click();
}

#[wasm_bindgen_test]
async fn choosing_an_answer_shows_its_explanation_and_records_it() {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .clear()
        .unwrap();
    let root = container();
    start_executor();
    // The owner keeps the store's signals and effects alive for the whole test.
    let owner = Owner::new();
    let store = owner.with(Store::load);
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        provide_context(store);
        view! { <QuizView quiz=quiz()/> }
    });
    leptos::task::tick().await;
    assert!(root
        .text_content()
        .unwrap()
        .contains("Is a timeout proof of a crash?"));
    assert!(root.query_selector(".quiz-explanation").unwrap().is_none());

    click_option(&root, 0);
    leptos::task::tick().await;
    let explanation = root.query_selector(".quiz-explanation").unwrap().unwrap();
    assert_eq!(
        explanation.text_content().unwrap(),
        "A slow node looks the same."
    );
    assert!(root.query_selector(".quiz-option.wrong").unwrap().is_some());
    assert_eq!(
        store.progress.get_untracked().quizzes.get("test/q1"),
        Some(&0)
    );

    click_option(&root, 1);
    leptos::task::tick().await;
    let explanation = root.query_selector(".quiz-explanation").unwrap().unwrap();
    assert_eq!(
        explanation.text_content().unwrap(),
        "Slow and dead are indistinguishable."
    );
    assert!(root.query_selector(".quiz-option.right").unwrap().is_some());
    assert!(root.query_selector(".quiz-option.wrong").unwrap().is_none());
    assert_eq!(
        root.query_selector_all(".quiz-explanation")
            .unwrap()
            .length(),
        1
    );
    assert_eq!(
        store.progress.get_untracked().quizzes.get("test/q1"),
        Some(&1)
    );
}

#[wasm_bindgen_test]
async fn progress_is_saved_to_local_storage() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.clear().unwrap();
    start_executor();
    // The owner keeps the store's signals and effects alive for the whole test.
    let owner = Owner::new();
    let store = owner.with(Store::load);
    store.progress.update(|p| {
        p.quizzes.insert("x/q1".into(), 2);
    });
    leptos::task::tick().await;
    let saved = storage
        .get_item(app::progress::STORAGE_KEY)
        .unwrap()
        .unwrap();
    assert!(saved.contains("\"x/q1\":2"), "{saved}");
}

/// The engine in the browser computes exactly what it computes natively: trace hashes of
/// recorded runs, and full challenge reports, both pinned in files written by native tests.
#[wasm_bindgen_test]
fn trace_hashes_in_wasm_equal_the_native_table() {
    let table = include_str!("../../engine/testdata/trace_hashes.txt");
    let mut rows = 0;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [scenario, seed, steps, hash] = parts[..] else {
            panic!("bad row {line}")
        };
        let actual =
            engine::trace_hash_of(scenario, seed.parse().unwrap(), steps.parse().unwrap()).unwrap();
        assert_eq!(engine::hash::hex(actual), hash, "{line}");
        rows += 1;
    }
    assert!(rows >= 5, "the table has rows");
}

#[wasm_bindgen_test]
fn challenge_reports_in_wasm_equal_the_native_ones() {
    let expected = include_str!("../../engine/testdata/check_vector_clocks.jsonl");
    let challenge = engine::challenge::challenge("vector-clocks").unwrap();
    let options = engine::challenge::CheckOptions {
        seeds: 60,
        first_seed: 0,
    };
    let lines: Vec<&str> = expected.lines().collect();
    assert_eq!(lines.len(), challenge.wrong.len());
    for (variant, line) in challenge.wrong.iter().zip(lines) {
        let report = engine::challenge::check(challenge, &variant.code, options, &mut |_, _| true);
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            line,
            "{}",
            variant.name
        );
    }
}

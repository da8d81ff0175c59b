//! DOM helpers the app shell and the simulation view share (they are separate wasm modules,
//! so the helper lives in a crate both link).

use wasm_bindgen::JsCast;
use web_sys::{Element, KeyboardEvent};

/// Whether a key press belongs to a text field (an input, text area, select, a
/// contenteditable element or the code editor) rather than to the page's shortcuts.
pub fn typing_in_a_field(event: &KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .is_some_and(|el| is_text_field(&el))
}

/// Whether typing into `el` enters text.
pub fn is_text_field(el: &Element) -> bool {
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        || el
            .closest("[contenteditable=true], .cm-editor")
            .ok()
            .flatten()
            .is_some()
}

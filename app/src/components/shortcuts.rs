//! The keyboard shortcuts dialog (`?`).

use leptos::prelude::*;

/// Every shortcut the page knows, as (keys, what they do).
pub const SHORTCUTS: [(&str, &str); 19] = [
    ("?", "Show or hide this list"),
    (
        "/ or Ctrl+K",
        "Search chapters, challenges and the glossary",
    ),
    ("n / p", "Next / previous chapter"),
    ("h", "Course overview"),
    ("g", "Glossary"),
    ("t", "Toggle light / dark theme"),
    ("Esc", "Close this list"),
    ("Space", "In a focused simulation: play / pause"),
    ("→ / ←", "In a focused simulation: step forward / back"),
    (
        "Click a node (or Tab to it)",
        "Select it: the inspector shows its state and its Crash / Pause buttons",
    ),
    (
        "c",
        "In a simulation: crash the selected node, or restart it if down",
    ),
    (
        "p",
        "In a simulation: pause the selected node, or resume it",
    ),
    (
        "i",
        "In a simulation: isolate the selected node from all others, or rejoin it",
    ),
    (
        "f",
        "In a simulation: present it full screen (again, or Esc, to leave at the same step)",
    ),
    (
        "Click a link (or Enter on it)",
        "Cut it both ways, or repair that link if cut",
    ),
    (
        "Click a message (or Enter)",
        "Deliver it now (Shift+click or Delete: drop it)",
    ),
    (
        "Drag across links",
        "Cut every link the line crosses: a partition when it splits the nodes into groups",
    ),
    (
        "↑ / ↓",
        "In a focused space-time diagram: choose the previous / next event (Esc clears)",
    ),
    (
        "Ctrl+Enter",
        "In a code editor or history box: run the check",
    ),
];

/// A modal list of shortcuts; `open` shows it.
#[component]
pub fn ShortcutsDialog(
    /// Whether the dialog shows.
    open: RwSignal<bool>,
) -> impl IntoView {
    move || {
        open.get().then(|| {
            view! {
                <div class="dialog-backdrop" on:click=move |_| open.set(false)>
                    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title"
                        on:click=|e| e.stop_propagation()>
                        <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                        <dl class="shortcuts">
                            {SHORTCUTS
                                .iter()
                                .map(|(keys, what)| view! { <dt><kbd>{*keys}</kbd></dt><dd>{*what}</dd> })
                                .collect_view()}
                        </dl>
                        <button type="button" class="button" autofocus on:click=move |_| open.set(false)>"Close"</button>
                    </div>
                </div>
            }
        })
    }
}

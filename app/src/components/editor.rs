//! The code editor of a challenge: CodeMirror 6 (bundled from npm into `editor.js`, see
//! `editor/`), loaded the first time a page shows a challenge so that none of it is in the
//! first view's download. Until it loads — or if it cannot — a plain textarea edits the same
//! code, so the learner can always type, run and save.
//!
//! The app owns the code (a signal the parent saves); the editor reports edits, runs the check
//! on Ctrl/Cmd+Enter and shows the checker's diagnostics at their line and column.

use leptos::ev;
use leptos::prelude::*;
use leptos::wasm_bindgen::closure::Closure;
use leptos::wasm_bindgen::{JsCast, JsValue};

/// The bundle's script, written by Trunk's post-build hook `tools/editor.sh`.
const SCRIPT_URL: &str = "./editor.js";
/// How near the viewport (CSS margin) a challenge comes before its editor loads.
const NEAR_MARGIN: &str = "800px 0px";

/// The global object the bundle defines.
fn bundle() -> Option<JsValue> {
    let window: JsValue = web_sys::window()?.into();
    js_sys::Reflect::get(&window, &"DslabEditor".into())
        .ok()
        .filter(|v| v.is_object())
}

/// What the parent does with an editor: replace its text, mark an error, move to a line. Works
/// on the rich editor once it has loaded and on the plain textarea before.
#[derive(Clone, Copy)]
pub struct EditorHandle {
    rich: StoredValue<Option<JsValue>, LocalStorage>,
    plain: NodeRef<leptos::html::Textarea>,
}

impl Default for EditorHandle {
    fn default() -> Self {
        EditorHandle {
            rich: StoredValue::new_local(None),
            plain: NodeRef::new(),
        }
    }
}

impl EditorHandle {
    /// Calls a method of the rich editor, when it is there; whether it was.
    fn call(&self, name: &str, args: &[JsValue]) -> bool {
        let Some(editor) = self.rich.get_value() else {
            return false;
        };
        let Some(f) = js_sys::Reflect::get(&editor, &name.into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        else {
            return false;
        };
        let _ = f.apply(&editor, &args.iter().cloned().collect());
        true
    }

    /// Replaces the text (the parent has already set its code signal, which the textarea
    /// follows).
    pub fn set_text(&self, text: &str) {
        self.call("setValue", &[JsValue::from_str(text)]);
    }

    /// Marks an error at `line`:`column` (1-based), or clears the marks with `None`.
    pub fn show_error(&self, error: Option<(usize, usize, &str)>) {
        let list = js_sys::Array::new();
        if let Some((line, column, message)) = error {
            let d = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&d, &"line".into(), &JsValue::from(line as u32));
            let _ = js_sys::Reflect::set(&d, &"column".into(), &JsValue::from(column as u32));
            let _ = js_sys::Reflect::set(&d, &"message".into(), &JsValue::from_str(message));
            list.push(&d);
        }
        self.call("setDiagnostics", &[list.into()]);
    }

    /// Puts the cursor at `line`:`column` (1-based) and focuses the editor.
    pub fn go_to(&self, line: usize, column: usize) {
        if self.call(
            "goTo",
            &[JsValue::from(line as u32), JsValue::from(column as u32)],
        ) {
            return;
        }
        if let Some(area) = self.plain.get() {
            let text = area.value();
            let start: usize = text
                .split('\n')
                .take(line.saturating_sub(1))
                .map(|l| l.len() + 1)
                .sum();
            let end = start
                + text
                    .split('\n')
                    .nth(line.saturating_sub(1))
                    .map_or(0, str::len);
            let _ = area.focus();
            let _ = area.set_selection_range(start as u32, end as u32);
        }
    }
}

/// An editor for `code`. `on_edit` receives every edit (the parent stores the code and saves
/// it); `on_run` is Ctrl/Cmd+Enter.
#[component]
pub fn CodeEditor(
    /// The code shown; the parent sets it to replace the text (and calls
    /// [`EditorHandle::set_text`]).
    code: RwSignal<String>,
    /// The accessible name of the editing area.
    label: String,
    /// The parent's handle on this editor.
    handle: EditorHandle,
    /// Called with the new text after every edit.
    on_edit: impl Fn(String) + Copy + Send + Sync + 'static,
    /// Runs the check.
    on_run: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    let rich = RwSignal::new(false);
    let unavailable = RwSignal::new(None::<String>);
    // The callbacks handed to the rich editor live as long as the component.
    let callbacks = StoredValue::new_local(Vec::<Box<dyn std::any::Any>>::new());
    let rich_label = label.clone();
    let loading = StoredValue::new(false);

    // The editor's script is heavy: it loads when the challenge comes near the viewport.
    let near = RwSignal::new(false);
    let observer = StoredValue::new_local(None);
    // (The rich editor's host is hidden until the editor starts: watch the whole editor.)
    let frame = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let Some(frame) = frame.get() else { return };
        let el: &web_sys::Element = &frame;
        observer.set_value(crate::browser::watch_nearness(
            el,
            NEAR_MARGIN,
            move |is_near| {
                if is_near {
                    // An observation queued before the page went away may still arrive.
                    let _ = near.try_set(true);
                }
            },
        ));
    });
    Effect::new(move |_| {
        let (Some(host), true) = (host.get(), near.get()) else {
            return;
        };
        if handle.rich.with_value(Option::is_some) || loading.get_value() {
            return;
        }
        loading.set_value(true);
        observer.with_value(|o| {
            if let Some((o, _)) = o {
                o.disconnect();
            }
        });
        let label = rich_label.clone();
        leptos::task::spawn_local(async move {
            let loaded =
                crate::browser::load_script("editor-module", SCRIPT_URL, || bundle().is_some())
                    .await;
            // The page went away while the script loaded.
            if rich.is_disposed() {
                return;
            }
            if let Err(e) = loaded {
                unavailable.set(Some(format!("its script did not load ({e:?})")));
                return;
            }
            let Some(create) = bundle()
                .and_then(|b| js_sys::Reflect::get(&b, &"create".into()).ok())
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            else {
                unavailable.set(Some("its script defines no editor".into()));
                return;
            };
            let changed = Closure::<dyn FnMut(String)>::new(move |text: String| {
                code.set(text.clone());
                on_edit(text);
            });
            let run = Closure::<dyn FnMut()>::new(on_run);
            let options = js_sys::Object::new();
            let _ = js_sys::Reflect::set(
                &options,
                &"doc".into(),
                &JsValue::from_str(&code.get_untracked()),
            );
            let _ = js_sys::Reflect::set(&options, &"label".into(), &JsValue::from_str(&label));
            let _ = js_sys::Reflect::set(&options, &"onChange".into(), changed.as_ref());
            let _ = js_sys::Reflect::set(&options, &"onRun".into(), run.as_ref());
            let host: web_sys::HtmlElement = host.into();
            match create.call2(&JsValue::NULL, &host, &options) {
                Ok(editor) if editor.is_object() => {
                    callbacks.update_value(|c| {
                        c.push(Box::new(changed));
                        c.push(Box::new(run));
                    });
                    handle.rich.set_value(Some(editor));
                    rich.set(true);
                }
                Ok(_) => unavailable.set(Some("it did not start".into())),
                Err(e) => unavailable.set(Some(format!("it failed to start ({e:?})"))),
            }
        });
    });
    on_cleanup(move || {
        observer.with_value(|o| {
            if let Some((o, _)) = o {
                o.disconnect();
            }
        });
        handle.call("destroy", &[]);
        handle.rich.set_value(None);
        callbacks.update_value(Vec::clear);
    });

    let on_keydown = move |event: ev::KeyboardEvent| {
        if event.key() == "Enter" && (event.ctrl_key() || event.meta_key()) {
            event.prevent_default();
            on_run();
        } else if event.key() == "Tab" && !event.shift_key() {
            // Indent instead of leaving the editor; Shift+Tab and Esc then Tab still move focus.
            event.prevent_default();
            if let Some(area) = handle.plain.get() {
                let start = area.selection_start().ok().flatten().unwrap_or(0);
                let _ =
                    area.set_range_text_with_start_and_end_and_mode("    ", start, start, "end");
                code.set(area.value());
                on_edit(area.value());
            }
        }
    };
    let gutter = NodeRef::<leptos::html::Pre>::new();
    let line_numbers = move || {
        let lines = code.with(|c| c.lines().count().max(1));
        (1..=lines)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };

    view! {
        <div class="editor" node_ref=frame class:is-rich=move || rich.get() data-editor=move || if rich.get() { "rich" } else { "plain" }>
            <div class="editor-rich" node_ref=host></div>
            <Show when=move || !rich.get()>
                <pre class="editor-gutter" aria-hidden="true" node_ref=gutter>{line_numbers}</pre>
                <textarea class="editor-text" node_ref=handle.plain spellcheck="false" autocomplete="off"
                    aria-label=label.clone()
                    prop:value=move || code.get()
                    on:input=move |e| {
                        let text = event_target_value(&e);
                        code.set(text.clone());
                        on_edit(text);
                    }
                    on:scroll=move |_| {
                        if let (Some(area), Some(g)) = (handle.plain.get(), gutter.get()) {
                            g.set_scroll_top(area.scroll_top());
                        }
                    }
                    on:keydown=on_keydown></textarea>
            </Show>
        </div>
        {move || unavailable.get().map(|why| view! {
            <p class="muted editor-note">
                {format!("The code editor could not load: {why}. This plain text area edits the same code; checks and saving work the same.")}
            </p>
        })}
    }
}

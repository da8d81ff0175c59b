//! Export and import of all progress and code as one JSON file, so nothing is lost when a
//! learner changes browser or clears its storage.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::progress::Export;
use crate::store::Store;

/// Offers the record as a download named `dslab-progress.json`.
fn download(text: &str) -> Result<(), String> {
    let fail = || "The browser refused to save the file.".to_string();
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|_| fail())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail())?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(fail)?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| fail())?
        .dyn_into()
        .map_err(|_| fail())?;
    link.set_href(&url);
    link.set_download("dslab-progress.json");
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// "Export progress" and "Import progress…" with a status line.
#[component]
pub fn ProgressFile() -> impl IntoView {
    let store = expect_context::<Store>();
    let status = RwSignal::new(String::new());
    let export = move |_| match download(&store.export().to_json()) {
        Ok(()) => status.set("Saved dslab-progress.json: your answers, results and code.".into()),
        Err(message) => status.set(message),
    };
    let input = NodeRef::<leptos::html::Input>::new();
    let on_file = move |_| {
        let Some(file) = input
            .get_untracked()
            .and_then(|i| i.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string());
            if let Some(i) = input.get_untracked() {
                i.set_value("");
            }
            let Some(text) = text else {
                return status.set("The file could not be read.".into());
            };
            match Export::from_json(&text) {
                Err(message) => status.set(message),
                Ok(export) => {
                    let sure = web_sys::window()
                        .and_then(|w| {
                            w.confirm_with_message(
                                "Replace the progress and code in this browser with the file's? \
                                 The current record is kept as a backup.",
                            )
                            .ok()
                        })
                        .unwrap_or(false);
                    if sure {
                        status.set(store.import(export));
                    } else {
                        status.set("Nothing was imported.".into());
                    }
                }
            }
        });
    };
    view! {
        <div class="progress-file">
            <button type="button" class="button" on:click=export>"Export progress"</button>
            <label class="button">
                "Import progress…"
                <input type="file" accept="application/json,.json" class="sr-only" node_ref=input on:change=on_file/>
            </label>
            <p class="muted" role="status">{move || status.get()}</p>
        </div>
    }
}

//! The few browser facilities the app's modules share. The engine never sees any of them.

/// The page's `localStorage`, when the browser allows the site to store data.
pub fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Milliseconds on the page's monotonic clock; paces animations and times benchmarks.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Loads a classic `<script src>` once per page: the first caller adds the element, later
/// callers (also those arriving while it loads) wait for the same element. `present` says
/// whether what the script defines already exists, so a loaded script is never waited for.
pub async fn load_script(
    id: &str,
    src: &str,
    present: impl Fn() -> bool,
) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsValue;
    if present() {
        return Ok(());
    }
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or(JsValue::NULL)?;
    let script = match document.get_element_by_id(id) {
        Some(existing) => existing,
        None => {
            let script = document.create_element("script")?;
            script.set_id(id);
            script.set_attribute("src", src)?;
            document
                .head()
                .ok_or(JsValue::NULL)?
                .append_child(&script)?;
            script
        }
    };
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        let _ = script.add_event_listener_with_callback("load", &resolve);
        let _ = script.add_event_listener_with_callback("error", &reject);
    });
    if !present() {
        wasm_bindgen_futures::JsFuture::from(loaded).await?;
    }
    Ok(())
}

/// The location's hash, `#` included.
pub fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Scrolls to the element with this id, or to the top.
pub fn scroll_to(id: Option<&str>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let target = id.and_then(|id| window.document()?.get_element_by_id(id));
    match target {
        Some(element) => element.scroll_into_view(),
        None => window.scroll_to_with_x_and_y(0.0, 0.0),
    }
}

/// An observer of how near an element is to the viewport, with the callback it calls; it
/// stops when `disconnect`ed (or dropped with the page).
pub type Nearness = (
    web_sys::IntersectionObserver,
    wasm_bindgen::closure::Closure<dyn FnMut(js_sys::Array)>,
);

/// Calls `near` with whether `element` is within `margin` (CSS, e.g. `"600px 0px"`) of the
/// viewport, now and whenever that changes. Heavy parts of a page (simulations, the code
/// editor) use it to load only when the reader comes near them.
pub fn watch_nearness(
    element: &web_sys::Element,
    margin: &str,
    near: impl Fn(bool) + 'static,
) -> Option<Nearness> {
    use wasm_bindgen::JsCast;
    let callback = wasm_bindgen::closure::Closure::<dyn FnMut(js_sys::Array)>::new(
        move |entries: js_sys::Array| {
            if let Some(entry) = entries
                .iter()
                .last()
                .and_then(|e| e.dyn_into::<web_sys::IntersectionObserverEntry>().ok())
            {
                near(entry.is_intersecting());
            }
        },
    );
    let options = web_sys::IntersectionObserverInit::new();
    options.set_root_margin(margin);
    let observer = web_sys::IntersectionObserver::new_with_options(
        callback.as_ref().unchecked_ref(),
        &options,
    )
    .ok()?;
    observer.observe(element);
    Some((observer, callback))
}

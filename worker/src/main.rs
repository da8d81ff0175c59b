//! The page's worker: receives a [`WorkerRequest`](engine::worker::WorkerRequest) as JSON (a
//! challenge check, a history to check and lay out, a benchmark), posts progress and the answer
//! back as JSON. Everything it does is `engine::worker::serve`, tested natively; this file only
//! connects it to the browser.
//! A native build (for `cargo test --workspace`) has nothing to connect and does nothing.

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    /// Progress is posted every this many seeds: often enough for a smooth bar, rarely enough
    /// not to flood the page.
    const PROGRESS_EVERY_SEEDS: u64 = 5;

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let performance = scope.performance();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let request = event.data().as_string().unwrap_or_default();
        let mut clock = || performance.as_ref().map_or(0.0, |p| p.now());
        engine::worker::serve(
            &request,
            PROGRESS_EVERY_SEEDS,
            &mut clock,
            &mut |response| {
                let json = serde_json::to_string(response).expect("responses serialize");
                let _ = reply.post_message(&JsValue::from_str(&json));
            },
        );
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let ready = serde_json::to_string(&engine::worker::WorkerResponse::Ready).expect("serializes");
    let _ = scope.post_message(&JsValue::from_str(&ready));
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}

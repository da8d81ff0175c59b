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

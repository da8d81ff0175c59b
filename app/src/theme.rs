//! Light and dark themes. The page follows the OS preference until the learner picks one; the
//! choice is remembered. `index.html` applies a stored choice before the app loads, so there is
//! no flash of the wrong theme.

use leptos::prelude::*;

use crate::browser::storage;

const THEME_KEY: &str = "dslab.theme";

/// A colour theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    /// Dark text on light.
    Light,
    /// Light text on dark.
    Dark,
}

impl Theme {
    /// The other theme.
    pub fn toggled(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }

    /// The value of `<html data-theme>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

fn stored() -> Option<Theme> {
    let value = storage()?.get_item(THEME_KEY).ok()??;
    match value.as_str() {
        "light" => Some(Theme::Light),
        "dark" => Some(Theme::Dark),
        _ => None,
    }
}

fn os_prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// The theme signal: starts from the stored choice or the OS; every change is applied to the
/// document and remembered.
pub fn use_theme() -> RwSignal<Theme> {
    let initial = stored().unwrap_or(if os_prefers_dark() {
        Theme::Dark
    } else {
        Theme::Light
    });
    let theme = RwSignal::new(initial);
    let first = StoredValue::new(true);
    Effect::new(move |_| {
        let current = theme.get();
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("data-theme", current.as_str());
        }
        // Only an explicit toggle is remembered; until then the OS decides.
        if !first.get_value() {
            if let Some(storage) = storage() {
                let _ = storage.set_item(THEME_KEY, current.as_str());
            }
        }
        first.set_value(false);
    });
    theme
}

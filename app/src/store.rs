//! The progress record as a reactive store, persisted to `localStorage`.

use leptos::prelude::*;

use crate::browser::storage;
use crate::progress::{Export, Progress, CODE_KEY_PREFIX, EXPORT_FORMAT, STORAGE_KEY};

/// Shared app state, provided as context by the shell.
#[derive(Clone, Copy)]
pub struct Store {
    /// The learner's progress; every change is saved.
    pub progress: RwSignal<Progress>,
    /// A problem found while loading stored data, shown until dismissed.
    pub storage_problem: RwSignal<Option<String>>,
}

impl Store {
    /// Loads the stored record (backing up anything unreadable) and saves every later change.
    pub fn load() -> Store {
        let local = storage();
        let stored = local
            .as_ref()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        let loaded = Progress::load(stored.as_deref());
        let mut problem = loaded.problem;
        if let (Some(message), Some(storage), Some(raw)) = (&mut problem, &local, &stored) {
            let backup_key = format!("{STORAGE_KEY}.backup.{}", js_sys_now_ms());
            match storage.set_item(&backup_key, raw) {
                Ok(()) => message.push_str(&format!(
                    " A copy was kept in this browser's storage under \"{backup_key}\"; the site starts a new record."
                )),
                Err(_) => message.push_str(" It could not be backed up (storage is full)."),
            }
        }
        if local.is_none() {
            problem = Some("This browser does not allow the site to store data, so progress is kept only until you close the tab.".into());
        }
        let store = Store {
            progress: RwSignal::new(loaded.progress),
            storage_problem: RwSignal::new(problem),
        };
        Effect::new(move |_| {
            let json = store.progress.with(Progress::to_json);
            if let Some(storage) = storage() {
                if storage.set_item(STORAGE_KEY, &json).is_err() {
                    store.storage_problem.set(Some(
                        "Progress could not be saved: the browser's storage is full.".into(),
                    ));
                }
            }
        });
        store
    }
}

impl Store {
    /// Everything to export: the record and every challenge's saved code.
    pub fn export(&self) -> Export {
        let mut code = std::collections::BTreeMap::new();
        if let Some(storage) = storage() {
            let len = storage.length().unwrap_or(0);
            for i in 0..len {
                let Ok(Some(key)) = storage.key(i) else {
                    continue;
                };
                if let Some(id) = key.strip_prefix(CODE_KEY_PREFIX) {
                    if let Ok(Some(source)) = storage.get_item(&key) {
                        code.insert(id.to_string(), source);
                    }
                }
            }
        }
        Export {
            format: EXPORT_FORMAT.into(),
            progress: self.progress.get_untracked(),
            code,
        }
    }

    /// Replaces the progress and the code it carries with an imported file's. The record being
    /// replaced is kept under a backup key first; returns a sentence saying what happened.
    pub fn import(&self, export: Export) -> String {
        let mut note = String::new();
        if let Some(storage) = storage() {
            let backup_key = format!("{STORAGE_KEY}.backup.{}", js_sys_now_ms());
            let current = self.progress.with_untracked(Progress::to_json);
            if storage.set_item(&backup_key, &current).is_ok() {
                note = format!(" Your previous record was kept under \"{backup_key}\".");
            }
            for (id, source) in &export.code {
                let _ = storage.set_item(&format!("{CODE_KEY_PREFIX}{id}"), source);
            }
        }
        let (quizzes, histories, challenges) = (
            export.progress.quizzes.len(),
            export.progress.classify.len(),
            export.progress.challenges.len(),
        );
        self.progress.set(export.progress);
        format!(
            "Imported {quizzes} quiz answer(s), {challenges} challenge result(s), {histories} classified history(ies) and the code of {} challenge(s).{note}",
            export.code.len()
        )
    }
}

/// Milliseconds since the epoch, to name backups. The only wall clock in the app, and it never
/// reaches the engine.
fn js_sys_now_ms() -> u64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0, |p| (p.time_origin() + p.now()) as u64)
}

//! The course compiled from `content/` at build time (see `build.rs`).

use std::sync::OnceLock;

use contentc::{Chapter, Course};

static COURSE_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/course.json"));

/// The whole course, parsed once.
pub fn course() -> &'static Course {
    static COURSE: OnceLock<Course> = OnceLock::new();
    COURSE.get_or_init(|| serde_json::from_str(COURSE_JSON).expect("build.rs wrote a valid course"))
}

/// The chapter with this slug.
pub fn chapter(slug: &str) -> Option<&'static Chapter> {
    course().chapters.iter().find(|c| c.slug == slug)
}

/// The chapters before and after the one with this slug.
pub fn neighbours(slug: &str) -> (Option<&'static Chapter>, Option<&'static Chapter>) {
    let chapters = &course().chapters;
    let Some(index) = chapters.iter().position(|c| c.slug == slug) else {
        return (None, None);
    };
    let previous = index.checked_sub(1).and_then(|i| chapters.get(i));
    (previous, chapters.get(index + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_course_has_the_seven_chapters_of_the_agenda() {
        let hours: Vec<u8> = course().chapters.iter().map(|c| c.hours).collect();
        assert_eq!(hours, [2, 2, 2, 3, 2, 2, 3]);
        let first = &course().chapters[0].slug;
        assert_eq!(neighbours(first).0, None);
        assert_eq!(neighbours(first).1.map(|c| c.number), Some(2));
        assert!(chapter("no-such-chapter").is_none());
    }
}

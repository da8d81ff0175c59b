//! Hash routes. The site is plain static files that may be served from any path, so every page
//! lives behind `#/…`: a deep link never needs the server to know about it.

/// A page of the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The course overview.
    Home,
    /// A chapter, optionally scrolled to one of its sections.
    Chapter {
        /// The chapter's slug.
        slug: String,
        /// A section id within the chapter.
        section: Option<String>,
    },
    /// A shared simulation run: the step it was shared at and its run token.
    Sim {
        /// The step to open at.
        step: u64,
        /// The run token (`1~scenario~seed~overrides…`).
        token: String,
    },
    /// A page outside the agenda (the design-decision guide), optionally at a section.
    Page {
        /// The page's slug.
        slug: String,
        /// A section id within the page.
        section: Option<String>,
    },
    /// The course glossary, optionally at one term.
    Glossary {
        /// A term's id.
        term: Option<String>,
    },
    /// The engine's benchmarks, run in the browser.
    Bench,
    /// Anything else; holds what was asked for.
    NotFound(String),
}

impl Route {
    /// Parses `location.hash`. Returns `None` for a plain in-page anchor (`#fn-1`), which
    /// scrolls within the current page instead of changing it.
    pub fn parse(hash: &str) -> Option<Route> {
        let path = hash.strip_prefix('#').unwrap_or(hash);
        if path.is_empty() || path == "/" {
            return Some(Route::Home);
        }
        let path = path.strip_prefix('/')?;
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let valid =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        Some(match parts.as_slice() {
            ["bench"] => Route::Bench,
            ["page", slug] if valid(slug) => Route::Page {
                slug: (*slug).to_string(),
                section: None,
            },
            ["page", slug, section] if valid(slug) && valid(section) => Route::Page {
                slug: (*slug).to_string(),
                section: Some((*section).to_string()),
            },
            ["glossary"] => Route::Glossary { term: None },
            ["glossary", term] if valid(term) => Route::Glossary {
                term: Some((*term).to_string()),
            },
            ["chapter", slug] if valid(slug) => Route::Chapter {
                slug: (*slug).to_string(),
                section: None,
            },
            ["chapter", slug, section] if valid(slug) && valid(section) => Route::Chapter {
                slug: (*slug).to_string(),
                section: Some((*section).to_string()),
            },
            ["sim", step, token] if step.parse::<u64>().is_ok() && token_chars(token) => {
                Route::Sim {
                    step: step.parse().unwrap_or(0),
                    token: (*token).to_string(),
                }
            }
            _ => Route::NotFound(format!("/{path}")),
        })
    }

    /// The `href` of this route.
    pub fn href(&self) -> String {
        match self {
            Route::Home => "#/".to_string(),
            Route::Chapter {
                slug,
                section: None,
            } => format!("#/chapter/{slug}"),
            Route::Chapter {
                slug,
                section: Some(section),
            } => format!("#/chapter/{slug}/{section}"),
            Route::Sim { step, token } => format!("#/sim/{step}/{token}"),
            Route::Page {
                slug,
                section: None,
            } => format!("#/page/{slug}"),
            Route::Page {
                slug,
                section: Some(section),
            } => format!("#/page/{slug}/{section}"),
            Route::Glossary { term: None } => "#/glossary".to_string(),
            Route::Glossary { term: Some(term) } => format!("#/glossary/{term}"),
            Route::Bench => "#/bench".to_string(),
            Route::NotFound(path) => format!("#{path}"),
        }
    }
}

/// Run tokens use only URL-safe characters; anything else is not a token.
fn token_chars(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

impl Route {
    /// The route of a section of `chapter`, which may be a page outside the agenda (number 0).
    pub fn section_of(chapter: &contentc::Chapter, section: Option<String>) -> Route {
        let slug = chapter.slug.clone();
        if chapter.number == 0 {
            Route::Page { slug, section }
        } else {
            Route::Chapter { slug, section }
        }
    }

    /// The section a chapter or page route asks for.
    pub fn section(&self) -> Option<&str> {
        match self {
            Route::Chapter { section, .. } | Route::Page { section, .. } => section.as_deref(),
            _ => None,
        }
    }
}

/// The `href` of a chapter.
pub fn chapter_href(slug: &str) -> String {
    Route::Chapter {
        slug: slug.to_string(),
        section: None,
    }
    .href()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(slug: &str, section: Option<&str>) -> Route {
        Route::Chapter {
            slug: slug.into(),
            section: section.map(Into::into),
        }
    }

    #[test]
    fn parses_every_kind_of_hash() {
        assert_eq!(Route::parse(""), Some(Route::Home));
        assert_eq!(Route::parse("#"), Some(Route::Home));
        assert_eq!(Route::parse("#/"), Some(Route::Home));
        assert_eq!(
            Route::parse("#/chapter/consensus"),
            Some(chapter("consensus", None))
        );
        assert_eq!(
            Route::parse("#/chapter/consensus/"),
            Some(chapter("consensus", None))
        );
        assert_eq!(
            Route::parse("#/chapter/consensus/leader-election"),
            Some(chapter("consensus", Some("leader-election")))
        );
        assert_eq!(
            Route::parse("#/nowhere"),
            Some(Route::NotFound("/nowhere".into()))
        );
        assert_eq!(
            Route::parse("#/chapter/<script>"),
            Some(Route::NotFound("/chapter/<script>".into()))
        );
        assert_eq!(Route::parse("#fn-1"), None);
        assert_eq!(
            Route::parse("#/glossary/lease"),
            Some(Route::Glossary {
                term: Some("lease".into())
            })
        );
        assert!(matches!(
            Route::parse("#/glossary/a b"),
            Some(Route::NotFound(_))
        ));
        assert_eq!(
            Route::parse("#/sim/12/1~retry-lossy~7~t120c0"),
            Some(Route::Sim {
                step: 12,
                token: "1~retry-lossy~7~t120c0".into()
            })
        );
        assert!(matches!(
            Route::parse("#/sim/x/1~a~1"),
            Some(Route::NotFound(_))
        ));
        assert!(matches!(
            Route::parse("#/sim/1/bad token"),
            Some(Route::NotFound(_))
        ));
    }

    #[test]
    fn href_round_trips() {
        for route in [
            Route::Home,
            chapter("replication", None),
            chapter("replication", Some("quorums")),
            Route::Page {
                slug: "design-decisions".into(),
                section: Some("seat-booking".into()),
            },
            Route::Glossary { term: None },
            Route::Glossary {
                term: Some("vector-clock".into()),
            },
        ] {
            assert_eq!(Route::parse(&route.href()), Some(route.clone()));
        }
        assert_eq!(chapter_href("consensus"), "#/chapter/consensus");
    }
}

//! Parsing the bodies of fenced directives. Pure text in, typed values or a line-numbered
//! message out; Markdown rendering of quiz text happens in the compiler.
//!
//! ```text
//! ```sim                          ```challenge            ```quiz
//! scenario: retry-lossy           id: vector-clocks       ? What does a timeout tell you?
//! seed: 7                                                 - The server crashed.
//! caption: Retries without ids.                             > No: the reply may be late.
//! ```                             ```                     * Nothing certain.
//!                                                           > Right: slow and dead look alike.
//!                                                         ```
//! ```
//!
//! In a quiz, `?` starts the question, `*` a right answer, `-` a wrong one and `>` the
//! explanation of the answer above it; indented lines continue the item above.

/// A directive's error: the line (1-based, relative to the file) and what is wrong.
#[derive(Debug, PartialEq, Eq)]
pub struct DirectiveError {
    pub line: usize,
    pub message: String,
}

fn error(line: usize, message: impl Into<String>) -> DirectiveError {
    DirectiveError {
        line,
        message: message.into(),
    }
}

/// `key: value` lines, each key once, only the allowed keys.
pub fn parse_fields(
    body: &str,
    first_line: usize,
    allowed: &[&str],
) -> Result<Vec<(String, String, usize)>, DirectiveError> {
    let mut fields: Vec<(String, String, usize)> = Vec::new();
    for (offset, raw) in body.lines().enumerate() {
        let line = first_line + offset;
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let Some((key, value)) = text.split_once(':') else {
            return Err(error(
                line,
                format!("expected `key: value`, found `{text}`"),
            ));
        };
        let key = key.trim();
        if !allowed.contains(&key) {
            return Err(error(
                line,
                format!("unknown key `{key}` (allowed: {})", allowed.join(", ")),
            ));
        }
        if fields.iter().any(|(k, _, _)| k == key) {
            return Err(error(line, format!("key `{key}` given twice")));
        }
        fields.push((key.to_string(), value.trim().to_string(), line));
    }
    Ok(fields)
}

/// A quiz before its text is rendered.
#[derive(Debug, PartialEq, Eq)]
pub struct RawQuiz {
    pub question: String,
    pub options: Vec<RawOption>,
}

/// One answer before its text is rendered.
#[derive(Debug, PartialEq, Eq)]
pub struct RawOption {
    pub text: String,
    pub correct: bool,
    pub explanation: String,
}

enum Slot {
    None,
    Question,
    Option,
    Explanation,
}

/// Parses the ```quiz body; `first_line` is the file line of its first body line.
pub fn parse_quiz(body: &str, first_line: usize) -> Result<RawQuiz, DirectiveError> {
    let mut question = String::new();
    let mut options: Vec<RawOption> = Vec::new();
    let mut slot = Slot::None;
    let mut last_line = first_line;
    for (offset, raw) in body.lines().enumerate() {
        let line = first_line + offset;
        last_line = line;
        let text = raw.trim();
        if text.is_empty() {
            continue;
        }
        let continues = raw.starts_with(' ') || raw.starts_with('\t');
        if let Some(rest) = text.strip_prefix("? ") {
            if !question.is_empty() {
                return Err(error(line, "a quiz has one question (`?` line)"));
            }
            question.push_str(rest);
            slot = Slot::Question;
        } else if let Some((rest, correct)) = text
            .strip_prefix("* ")
            .map(|r| (r, true))
            .or_else(|| text.strip_prefix("- ").map(|r| (r, false)))
        {
            if question.is_empty() {
                return Err(error(
                    line,
                    "the question (`? …`) must come before the answers",
                ));
            }
            options.push(RawOption {
                text: rest.to_string(),
                correct,
                explanation: String::new(),
            });
            slot = Slot::Option;
        } else if let Some(rest) = text.strip_prefix('>') {
            let Some(option) = options.last_mut() else {
                return Err(error(line, "an explanation (`>`) must follow an answer"));
            };
            if !option.explanation.is_empty() && !matches!(slot, Slot::Explanation) {
                return Err(error(line, "this answer already has an explanation"));
            }
            append(&mut option.explanation, rest.trim());
            slot = Slot::Explanation;
        } else if continues {
            match slot {
                Slot::Question => append(&mut question, text),
                Slot::Option => append(&mut options.last_mut().expect("slot").text, text),
                Slot::Explanation => {
                    append(&mut options.last_mut().expect("slot").explanation, text)
                }
                Slot::None => return Err(error(line, "indented line before the question")),
            }
        } else {
            return Err(error(
                line,
                format!("expected `? question`, `* right answer`, `- wrong answer` or `> explanation`, found `{text}`"),
            ));
        }
    }
    if question.is_empty() {
        return Err(error(first_line, "a quiz needs a question (`? …`)"));
    }
    if options.len() < 2 {
        return Err(error(last_line, "a quiz needs at least two answers"));
    }
    if !options.iter().any(|o| o.correct) {
        return Err(error(last_line, "no answer is marked right (`* …`)"));
    }
    if let Some(index) = options.iter().position(|o| o.explanation.is_empty()) {
        return Err(error(
            last_line,
            format!("answer {} has no explanation (`> …` below it)", index + 1),
        ));
    }
    Ok(RawQuiz { question, options })
}

fn append(target: &mut String, text: &str) {
    if !target.is_empty() {
        target.push(' ');
    }
    target.push_str(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiz_parses_question_answers_and_explanations() {
        let quiz = parse_quiz(
            "? What does a timeout\n  tell you?\n- It crashed.\n  > No.\n* Nothing certain.\n  > Right:\n    slow looks dead.\n",
            10,
        )
        .unwrap();
        assert_eq!(quiz.question, "What does a timeout tell you?");
        assert_eq!(quiz.options.len(), 2);
        assert!(!quiz.options[0].correct);
        assert!(quiz.options[1].correct);
        assert_eq!(quiz.options[1].explanation, "Right: slow looks dead.");
    }

    #[test]
    fn quiz_errors_name_the_line() {
        let cases = [
            ("- a\n> x\n* b\n> y\n", 10, "question"),
            ("? q\n- a\n> x\n", 12, "at least two"),
            ("? q\n- a\n> x\n- b\n> y\n", 14, "no answer is marked right"),
            ("? q\n- a\n* b\n> y\n", 13, "answer 1 has no explanation"),
            ("? q\n- a\n> x\nwhat\n", 13, "expected"),
            ("? q\n? again\n", 11, "one question"),
            ("> x\n", 10, "must follow an answer"),
        ];
        for (body, line, needle) in cases {
            let err = parse_quiz(body, 10).unwrap_err();
            assert_eq!(err.line, line, "{body:?}: {err:?}");
            assert!(err.message.contains(needle), "{body:?}: {err:?}");
        }
    }

    #[test]
    fn fields_reject_unknown_and_repeated_keys() {
        let ok = parse_fields("scenario: a\n\nseed: 3\n", 5, &["scenario", "seed"]).unwrap();
        assert_eq!(ok[1], ("seed".into(), "3".into(), 7));
        let unknown = parse_fields("scenario: a\ncolour: red\n", 5, &["scenario"]).unwrap_err();
        assert_eq!(unknown.line, 6);
        assert!(unknown.message.contains("unknown key `colour`"));
        let twice = parse_fields("scenario: a\nscenario: b\n", 5, &["scenario"]).unwrap_err();
        assert!(twice.message.contains("twice"));
        let bare = parse_fields("scenario\n", 5, &["scenario"]).unwrap_err();
        assert!(bare.message.contains("key: value"));
    }
}

//! Malformed histories are values with the line at fault, never panics.

use engine::lin::{check_text, detect_format, parse, Budget, Format, ParseError};

fn error(text: &str) -> ParseError {
    check_text(text, Format::Auto, &mut Budget::default()).expect_err("malformed history")
}

fn assert_error(text: &str, line: usize, fragment: &str) {
    let e = error(text);
    assert_eq!(e.line, line, "{e:?}");
    assert!(
        e.message.contains(fragment),
        "message {:?} lacks {fragment:?}",
        e.message
    );
}

#[test]
fn detects_each_format() {
    assert_eq!(
        detect_format("\n{\"client\": 0}").unwrap(),
        Format::JsonLines
    );
    assert_eq!(detect_format("{:process 0}").unwrap(), Format::Kv);
    assert_eq!(
        detect_format("noise\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\n").unwrap(),
        Format::Jepsen
    );
    assert_eq!(detect_format("hello\nworld\n").unwrap_err().line, 1);
}

#[test]
fn return_without_invoke() {
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"read\"}\n{\"client\": 0, \"type\": \"ok\", \"f\": \"read\", \"value\": 1}\n{\"client\": 1, \"type\": \"ok\", \"f\": \"read\", \"value\": 1}\n",
        3,
        "no invoke outstanding",
    );
}

#[test]
fn second_invoke_from_busy_client() {
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"read\"}\n\n{\"client\": 0, \"type\": \"invoke\", \"f\": \"write\", \"value\": 2}\n",
        3,
        "from line 1 has not returned",
    );
    let jepsen =
        "INFO  jepsen.util - 4\t:invoke\t:read\tnil\nINFO  jepsen.util - 4\t:invoke\t:read\tnil\n";
    assert_error(jepsen, 2, "client 4 invokes read");
}

#[test]
fn return_of_a_different_f() {
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"read\"}\n{\"client\": 0, \"type\": \"ok\", \"f\": \"write\", \"value\": 1}\n",
        2,
        "returns write but invoked read on line 1",
    );
}

#[test]
fn missing_key_for_kv() {
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"get\"}\n",
        1,
        "get needs a key",
    );
    assert_error(
        "{:process 0, :type :invoke, :f :get, :value nil}\n",
        1,
        "missing :key",
    );
}

#[test]
fn unknown_f() {
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"delete\"}\n",
        1,
        "unknown f 'delete'",
    );
    assert_error(
        "INFO  jepsen.util - 0\t:invoke\t:delete\tnil\n",
        1,
        "unknown f ':delete'",
    );
    assert_error(
        "{:process 0, :type :invoke, :f :read, :key \"x\", :value nil}\n",
        1,
        "unknown f ':read'",
    );
}

#[test]
fn mixing_models_is_an_error() {
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"read\"}\n{\"client\": 1, \"type\": \"invoke\", \"f\": \"get\", \"key\": \"x\"}\n",
        2,
        "belongs to kv-get-put-append",
    );
}

#[test]
fn garbage_lines_where_structure_is_required() {
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"read\"}\nnot json at all\n",
        2,
        "not a JSON object",
    );
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"read\"}\n[1, 2]\n",
        2,
        "expected a JSON object",
    );
    assert_error(
        "{\"client\": -1, \"type\": \"invoke\", \"f\": \"read\"}\n",
        1,
        "non-negative integer",
    );
    assert_error(
        "{\"client\": 0, \"type\": \"done\", \"f\": \"read\"}\n",
        1,
        "unknown type 'done'",
    );
    assert_error(
        "{:process 0, :type :invoke, :f :get, :key \"x\", :value nil}\ngarbage\n",
        2,
        "expected an EDN map",
    );
    assert_error(
        "{:process 0, :type :invoke, :f :get, :key \"x, :value nil}\n",
        1,
        "cannot read",
    );
}

#[test]
fn jepsen_noise_is_ignored_but_its_own_lines_must_be_well_formed() {
    let ok = "starting\nINFO  jepsen.util - 0\t:invoke\t:write\t3\nWARN something else\nINFO  jepsen.util - 0\t:ok\t:write\t3\n";
    assert_eq!(parse(ok, Format::Jepsen).unwrap().operations.len(), 1);
    assert_error(
        "INFO  jepsen.util - 0\t:invoke\t:write\t3\nINFO  jepsen.util - 0\t:done\t:write\t3\n",
        2,
        "unknown type ':done'",
    );
    assert_error(
        "INFO  jepsen.util - x\t:invoke\t:write\t3\n",
        1,
        "process id 'x' is not a number",
    );
    assert_error(
        "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 two]\n",
        1,
        "cannot read value '[1 two]'",
    );
    assert_error(
        "INFO  jepsen.util - 0\t:invoke\t:write\n",
        1,
        "expected a value after :write",
    );
}

#[test]
fn bad_values_for_the_model() {
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"write\", \"value\": \"x\"}\n",
        1,
        "write's value must be an integer",
    );
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"cas\", \"value\": 3}\n",
        1,
        "cas's value must be [from, to]",
    );
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"read\"}\n{\"client\": 0, \"type\": \"ok\", \"f\": \"read\", \"value\": true}\n",
        2,
        "read's result must be an integer",
    );
    assert_error(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"read\", \"key\": \"x\"}\n",
        1,
        "register operations take no key",
    );
}

#[test]
fn invoke_after_the_same_clients_info_is_rejected() {
    // Jepsen: after :info the operation may still take effect, so the process is gone and the
    // next operation runs under a new process id.
    let jepsen = "INFO  jepsen.util - 3\t:invoke\t:write\t1\n\
                  INFO  jepsen.util - 3\t:info\t:write\t:timed-out\n\
                  INFO  jepsen.util - 3\t:invoke\t:read\tnil\n";
    assert_error(jepsen, 3, "client 3 invokes read after its info on line 2");
    let json = "{\"client\": 0, \"type\": \"invoke\", \"f\": \"write\", \"value\": 1}\n\
                {\"client\": 0, \"type\": \"info\", \"f\": \"write\", \"value\": 1}\n\
                {\"client\": 0, \"type\": \"invoke\", \"f\": \"write\", \"value\": 2}\n";
    assert_error(json, 3, "after its info on line 2");
    // The same history with a fresh client for the next operation is well formed.
    let fresh = json.replacen(
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"write\", \"value\": 2}",
        "{\"client\": 1, \"type\": \"invoke\", \"f\": \"write\", \"value\": 2}",
        1,
    );
    assert!(check_text(&fresh, Format::Auto, &mut Budget::default()).is_ok());
}

#[test]
fn errors_quote_at_most_200_characters_of_a_huge_line() {
    let huge = "9".repeat(1 << 20);
    let jepsen = format!("INFO  jepsen.util - 0\t:invoke\t:write\t{huge}x\n");
    let json = format!("{{\"client\": 0, \"type\": \"{huge}\", \"f\": \"read\"}}\n");
    let edn = format!("{{:process 0, :type :invoke, :f :get, :key \"k\", :value {huge}}}\n");
    let register_value = format!(
        "{{\"client\": 0, \"type\": \"invoke\", \"f\": \"write\", \"value\": \"{huge}\"}}\n"
    );
    for text in [jepsen, json, edn, register_value] {
        let e = error(&text);
        assert_eq!(e.line, 1);
        assert!(
            e.message.len() < 600,
            "a {} byte message: {}…",
            e.message.len(),
            &e.message[..100]
        );
        assert!(
            !e.message.contains(&"9".repeat(201)),
            "quotes more than 200 characters"
        );
    }
}

#[test]
fn quote_cuts_long_text_and_keeps_short_text() {
    use engine::lin::parse::{quote, QUOTE_CHARS_MAX};
    assert_eq!(quote("short"), "short");
    let long = "é".repeat(QUOTE_CHARS_MAX + 10);
    let quoted = quote(&long);
    assert_eq!(
        quoted.chars().filter(|&c| c == 'é').count(),
        QUOTE_CHARS_MAX
    );
    assert!(quoted.ends_with("(20 more bytes)"), "{quoted}");
}

// The challenge code editor: CodeMirror 6 with a small Rhai mode, exposed to the app as
// `window.DslabEditor.create(parent, options)`. The app (Rust) owns the code and its storage;
// this script only edits text, reports changes, runs the check on Ctrl/Cmd+Enter and shows
// the checker's diagnostics at their line and column.

import { EditorState, Compartment, Prec } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  drawSelection,
  rectangularSelection,
  crosshairCursor,
  dropCursor,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  StreamLanguage,
  bracketMatching,
  foldGutter,
  foldKeymap,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
  HighlightStyle,
} from "@codemirror/language";
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { tags } from "@lezer/highlight";

const KEYWORDS = new Set([
  "let", "const", "if", "else", "switch", "do", "while", "until", "loop", "for", "in",
  "break", "continue", "return", "throw", "try", "catch", "fn", "private", "import",
  "export", "as", "global", "this",
]);
const ATOMS = new Set(["true", "false", "()"]);
const BUILTINS = new Set([
  "print", "debug", "type_of", "is_def_fn", "is_def_var", "Fn", "call", "curry",
  "len", "push", "pop", "shift", "insert", "remove", "contains", "keys", "values",
  "range", "abs", "min", "max", "sign", "to_string", "parse_int", "clear", "truncate",
  "extract", "reverse", "sort", "is_empty",
]);
const OPEN = "([{";
const CLOSE = ")]}";

/** Rhai tokens for highlighting, and bracket depth for auto-indent. */
const rhai = StreamLanguage.define({
  name: "rhai",
  // The syntax names this mode emits beyond CodeMirror's defaults.
  tokenTable: { builtin: tags.standard(tags.variableName), def: tags.function(tags.variableName) },
  startState: () => ({ depth: 0, comment: 0, string: null }),
  copyState: (s) => ({ ...s }),
  token: tokenize,
  indent(state, textAfter, cx) {
    const closing = textAfter && CLOSE.includes(textAfter.trimStart()[0]);
    return Math.max(0, state.depth - (closing ? 1 : 0)) * cx.unit;
  },
  languageData: {
    commentTokens: { line: "//", block: { open: "/*", close: "*/" } },
    closeBrackets: { brackets: ["(", "[", "{", '"', "`"] },
    indentOnInput: /^\s*[}\])]$/,
  },
});

/** One token of Rhai: comments (nested), strings, numbers, words, brackets, operators. */
function tokenize(stream, state) {
    if (state.comment > 0) {
      while (!stream.eol()) {
        if (stream.match("/*")) state.comment += 1;
        else if (stream.match("*/")) {
          state.comment -= 1;
          if (state.comment === 0) break;
        } else stream.next();
      }
      return "comment";
    }
    if (state.string) {
      const quote = state.string;
      let escaped = false;
      while (!stream.eol()) {
        const ch = stream.next();
        if (ch === quote && !escaped) {
          state.string = null;
          break;
        }
        escaped = !escaped && ch === "\\";
      }
      return "string";
    }
    if (stream.eatSpace()) return null;
    if (stream.match("//")) {
      stream.skipToEnd();
      return "comment";
    }
    if (stream.match("/*")) {
      state.comment = 1;
      return tokenize(stream, state);
    }
    const ch = stream.peek();
    if (ch === '"' || ch === "`") {
      stream.next();
      state.string = ch;
      return tokenize(stream, state);
    }
    if (ch === "'") {
      stream.match(/^'(\\.|[^'\\])'/) || stream.next();
      return "string";
    }
    if (stream.match(/^0x[0-9a-fA-F_]+|^0b[01_]+|^0o[0-7_]+|^[0-9][0-9_]*/)) return "number";
    if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*/)) {
      const word = stream.current();
      if (KEYWORDS.has(word)) return "keyword";
      if (ATOMS.has(word)) return "atom";
      if (BUILTINS.has(word)) return "builtin";
      if (stream.match(/^\s*\(/, false)) return "def";
      return "variableName";
    }
    stream.next();
    if (OPEN.includes(ch)) {
      state.depth += 1;
      return "bracket";
    }
    if (CLOSE.includes(ch)) {
      state.depth = Math.max(0, state.depth - 1);
      return "bracket";
    }
    if ("+-*/%=<>!&|^~?.:;,".includes(ch)) return "operator";
    return null;
}

// Colours come from the site's CSS variables, so the editor follows the light and dark themes.
const highlight = HighlightStyle.define([
  { tag: tags.keyword, color: "var(--syntax-keyword)", fontWeight: "600" },
  { tag: [tags.atom, tags.bool], color: "var(--syntax-atom)" },
  { tag: tags.number, color: "var(--syntax-number)" },
  { tag: tags.string, color: "var(--syntax-string)" },
  { tag: tags.comment, color: "var(--syntax-comment)", fontStyle: "italic" },
  { tag: [tags.function(tags.variableName), tags.definition(tags.variableName)], color: "var(--syntax-function)" },
  { tag: tags.standard(tags.variableName), color: "var(--syntax-builtin)" },
  { tag: tags.operator, color: "var(--syntax-operator)" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", backgroundColor: "var(--bg-raised)", color: "var(--text)", fontSize: "0.85rem" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--text)", padding: "0.75rem 0" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--code-bg)", color: "var(--text-muted)", border: "none" },
  ".cm-activeLine": { backgroundColor: "color-mix(in srgb, var(--accent-soft) 45%, transparent)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--accent-soft)", color: "var(--text)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection":
    { backgroundColor: "color-mix(in srgb, var(--accent) 30%, transparent)" },
  ".cm-matchingBracket": { backgroundColor: "var(--accent-soft)", outline: "1px solid var(--accent)" },
  ".cm-nonmatchingBracket": { backgroundColor: "var(--wrong-soft)" },
  ".cm-tooltip": { backgroundColor: "var(--bg-raised)", color: "var(--text)", border: "1px solid var(--border)" },
  ".cm-diagnostic-error": { borderLeftColor: "var(--wrong)" },
  ".cm-lintRange-error": { backgroundImage: "none", textDecoration: "underline wavy var(--wrong)" },
  ".cm-panels": { backgroundColor: "var(--bg-soft)", color: "var(--text)" },
});

/**
 * Creates an editor inside `parent`.
 * options: { doc, label, onChange(text), onRun() }.
 * Returns { getValue, setValue(text), setDiagnostics([{line, column, message}]), goTo(line, column), focus, destroy }.
 */
function create(parent, options) {
  const onChange = options.onChange || (() => {});
  const onRun = options.onRun || (() => {});
  const readOnly = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.doc || "",
      extensions: [
        lineNumbers(),
        foldGutter(),
        lintGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        dropCursor(),
        EditorState.allowMultipleSelections.of(true),
        indentOnInput(),
        indentUnit.of("    "),
        EditorState.tabSize.of(4),
        syntaxHighlighting(highlight),
        bracketMatching(),
        closeBrackets(),
        rectangularSelection(),
        crosshairCursor(),
        highlightActiveLine(),
        highlightActiveLineGutter(),
        highlightSelectionMatches(),
        rhai,
        theme,
        readOnly.of(EditorState.readOnly.of(false)),
        Prec.highest(
          keymap.of([
            { key: "Mod-Enter", run: () => (onRun(), true), preventDefault: true },
          ]),
        ),
        keymap.of([
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...searchKeymap,
          ...historyKeymap,
          ...foldKeymap,
          indentWithTab,
        ]),
        EditorView.contentAttributes.of({
          "aria-label": options.label || "Code",
          // An explicit tab stop: the scroller around it counts as keyboard-reachable.
          tabindex: "0",
          spellcheck: "false",
          autocorrect: "off",
          autocapitalize: "off",
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) {
            // Diagnostics describe the code that was checked; an edit makes them stale.
            if (update.transactions.some((t) => t.isUserEvent("input") || t.isUserEvent("delete"))) {
              view.dispatch(setDiagnostics(view.state, []));
            }
            onChange(update.state.doc.toString());
          }
        }),
      ],
    }),
  });

  const position = (line, column) => {
    const doc = view.state.doc;
    const l = doc.line(Math.min(Math.max(1, line | 0), doc.lines));
    return Math.min(l.to, l.from + Math.max(0, (column | 0) - 1));
  };

  return {
    getValue: () => view.state.doc.toString(),
    setValue(text) {
      if (text === view.state.doc.toString()) return;
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        effects: setDiagnostics(view.state, []).effects,
      });
    },
    setDiagnostics(list) {
      const diagnostics = (list || []).map((d) => {
        const from = position(d.line, d.column);
        const lineEnd = view.state.doc.lineAt(from).to;
        return { from, to: Math.max(from, lineEnd), severity: "error", message: d.message };
      });
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    goTo(line, column) {
      const at = position(line, column);
      view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
      view.focus();
    },
    setReadOnly(flag) {
      view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(!!flag)) });
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}

window.DslabEditor = { create };

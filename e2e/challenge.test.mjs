// The vector-clock challenge, solved in the browser: a failing starter, a script error, the
// reference passing, a cancelled check, and a page that stays responsive throughout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const CHAPTER_1 = "#/chapter/why-distributed-systems-are-hard";
const toml = readFileSync(new URL("../engine/challenges/vector-clocks.toml", import.meta.url), "utf8");
const REFERENCE = toml.match(/^reference = '''\n([\s\S]*?)'''/m)[1];

async function challenge(page) {
  const section = page.locator("section.challenge").first();
  await section.scrollIntoViewIfNeeded();
  return section;
}

/** Waits for the rich editor (CodeMirror) and replaces its text, as a learner pasting. */
async function typeCode(section, code) {
  await section.locator(".editor[data-editor=rich] .cm-content").waitFor();
  await section.locator(".cm-content").click();
  await section.page().keyboard.press("ControlOrMeta+a");
  await section.page().keyboard.insertText(code);
}

/** The code the app saved for the challenge (what the editor holds after every edit). */
async function savedCode(page, id = "vector-clocks") {
  return page.evaluate((key) => localStorage.getItem(key), `dslab.code.${id}`);
}

async function check(section) {
  await section.getByRole("button", { name: /^Check on \d+ seeds$/ }).click();
  await section.locator(".check-report, .check-problem").waitFor({ timeout: 30_000 });
}

test("the starter fails, a syntax error is located, the reference passes and is remembered", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const section = await challenge(page);
  await check(section);
  assert.match(await section.locator(".verdict-fail").textContent(), /violated on seed \d+/);
  assert.ok(await section.locator(".counterexample").count() === 1, "a counterexample is shown");
  await shot(page, "challenge-failed");

  await typeCode(section, "fn on_local(clock, me) {\n  clock[me] += ;\n}\n");
  await check(section);
  assert.match(await section.locator(".verdict-fail").textContent(), /Line 2, column \d+:/);
  // The error is marked in the editor at its line, and "Go to line" puts the cursor there.
  await section.locator(".cm-lintRange-error").waitFor();
  await section.getByRole("button", { name: "Go to line 2" }).click();
  assert.match(await section.locator(".cm-activeLine").textContent(), /clock\[me\] \+= ;/);
  await shot(page, "challenge-script-error");

  await typeCode(section, REFERENCE);
  await check(section);
  assert.match(await section.locator(".verdict-pass").textContent(), /Every property held on all 200 seeds/);
  assert.equal(await section.locator(".property.held").count(), 3);
  await shot(page, "challenge-passed");

  await page.reload();
  const again = await challenge(page);
  assert.equal(await savedCode(page), REFERENCE, "the code is saved");
  await again.locator(".editor[data-editor=rich] .cm-content").waitFor();
  assert.match(await again.locator(".cm-content").textContent(), /message_clock\[i\] > clock\[i\]/, "the code survives a reload");
  assert.match(await again.locator(".embed-kicker").textContent(), /passed/);
  await page.goto(page.url().replace(/#.*/, "#/"));
  assert.match(await page.locator(".chapter-card").first().locator(".progress-label").textContent(), /1\/2 challenges/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("the editor highlights Rhai, runs on Ctrl+Enter, indents, and resets only after confirmation", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const section = await challenge(page);
  await section.locator(".editor[data-editor=rich] .cm-content").waitFor();
  // Syntax highlighting: keywords get their own styled spans, line numbers are drawn.
  assert.ok(await section.locator(".cm-line span").count() > 5, "tokens are styled");
  assert.ok(await section.locator(".cm-lineNumbers .cm-gutterElement").count() > 5);
  // Typing an opening brace and Enter indents the next line (auto-indent, bracket closing).
  await typeCode(section, "fn on_local(clock, me) ");
  await page.keyboard.type("{");
  await page.keyboard.press("Enter");
  await page.keyboard.type("clock");
  assert.equal(await savedCode(page), "fn on_local(clock, me) {\n    clock\n}");
  // Undo takes the last edit back.
  await page.keyboard.press("ControlOrMeta+z");
  assert.doesNotMatch(await savedCode(page), /    clock\n/);
  // Ctrl+Enter runs the check from inside the editor.
  await page.keyboard.press("Control+Enter");
  await section.locator(".check-report, .check-problem").waitFor({ timeout: 30_000 });
  // Reset asks first; dismissing keeps the code, accepting restores the starter.
  const before = await savedCode(page);
  page.once("dialog", (d) => d.dismiss());
  await section.getByRole("button", { name: "Reset to starter" }).click();
  assert.equal(await savedCode(page), before);
  page.once("dialog", (d) => d.accept());
  await section.getByRole("button", { name: "Reset to starter" }).click();
  assert.match(await section.locator(".cm-content").textContent(), /Called for an event that involves no message/);
  await shot(page, "challenge-editor");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a Raft challenge: the reference passes, and a wrong vote replays in the simulation at its violation", async () => {
  const raft = readFileSync(new URL("../engine/challenges/raft-request-vote.toml", import.meta.url), "utf8");
  const reference = raft.match(/^reference = '''\n([\s\S]*?)'''/m)[1];
  const twice = raft.match(/name = "votes twice in one term"\nviolates = "election-safety"\ncode = '''\n([\s\S]*?)'''/)[1];
  const { page, problems } = await browser.open("#/chapter/consensus");
  const section = page.locator("section.challenge", { has: page.locator("#challenge-raft-request-vote") });
  await section.scrollIntoViewIfNeeded();
  await typeCode(section, reference);
  await check(section);
  assert.match(await section.locator(".verdict-pass").textContent(), /Every property held on all 200 seeds/);
  await typeCode(section, twice);
  await check(section);
  assert.match(await section.locator(".verdict-fail").textContent(), /Election Safety: violated on seed \d+/);
  // The verdict speaks the list's words: titles, and "not reached" for what the check never judged.
  assert.doesNotMatch(await section.locator(".verdict-fail p").first().textContent(), /election-safety/);
  assert.match(await section.locator(".check-properties .property.inconclusive, .property.inconclusive").first().textContent(), /\(not reached\)/);
  await section.getByRole("button", { name: "Replay this run" }).click();
  const sim = section.locator("figure.sim");
  await sim.waitFor({ timeout: 30_000 });
  assert.match(await sim.locator(".properties .property.violated").first().textContent(), /election-safety/,
    "the replay stops where the property fails");
  assert.equal(await sim.locator(".sim-share").count(), 0, "a replay with learner code offers no share link");
  await sim.scrollIntoViewIfNeeded();
  await shot(page, "challenge-raft-replay");
  assert.deepEqual(problems, []);
  await page.close();
});

test("an endless loop ends with a budget message and the page stays responsive", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const section = await challenge(page);
  await typeCode(section, REFERENCE.replace("fn on_local(clock, me) {", "fn on_local(clock, me) {\n    loop { }"));
  await section.getByRole("button", { name: /^Check on/ }).click();
  // The main thread answers while the worker runs.
  const started = Date.now();
  await page.evaluate(() => 1 + 1);
  assert.ok(Date.now() - started < 500, "the page answered at once");
  await section.locator(".check-report").waitFor({ timeout: 30_000 });
  assert.match(await section.locator(".verdict-fail").textContent(), /ran past \d+ operations in one call \(the operations limit\): does it never end\?/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("the hostile corpus ends with clear diagnostics in the browser, and the page stays usable", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const section = await challenge(page);
  const inLocal = (body) => REFERENCE.replace("fn on_local(clock, me) {", `fn on_local(clock, me) {\n    ${body}`);
  const corpus = [
    [inLocal("on_local(clock, me);"), /call depth limit.*recursion/i],
    [inLocal('let s = "x"; loop { s += s; }'), /Line 2, column \d+: A string in `on_local` grew past \d+ bytes here \(the string size limit\)/],
    [inLocal("let v = []; loop { v.push(1); }"), /Line 2, column \d+: An array in `on_local` grew past \d+ elements here \(the array size limit\)/],
    [inLocal('let t = clock + "text" * 2;'), /No function/],
    [inLocal("launch_missiles(me);"), /launch_missiles/],
    [REFERENCE.replace(/fn on_send\(clock, me\) \{[\s\S]*?\n\}/, 'fn on_send(clock, me) {\n    "not a clock"\n}'), /Clocks are well formed: violated on seed \d+.*`on_send` returned/],
  ];
  for (const [code, expected] of corpus) {
    await typeCode(section, code);
    await check(section);
    const verdict = await section.locator(".verdict-fail").textContent();
    assert.match(verdict, expected, code);
    assert.equal(await page.evaluate(() => 1 + 1), 2, "the page answers between checks");
  }
  await shot(page, "challenge-hostile-last");
  // After all that, the reference still passes in a fresh worker.
  await typeCode(section, REFERENCE);
  await check(section);
  assert.equal(await section.locator(".verdict-pass").count(), 1);
  assert.deepEqual(problems, []);
  await page.close();
});

test("one worker stays warm between checks: its module is fetched once", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const fetched = [];
  page.on("request", (r) => { if (/worker_bg\.wasm/.test(r.url())) fetched.push(r.url()); });
  const section = await challenge(page);
  await typeCode(section, REFERENCE.replace("fn compare(a, b) {", "fn compare(a, b) {\n    return \"before\";"));
  await check(section);
  assert.equal(await section.locator(".verdict-fail, .verdict-error").count(), 1, "a wrong compare fails");
  await typeCode(section, REFERENCE);
  await check(section);
  assert.equal(await section.locator(".verdict-pass").count(), 1);
  assert.equal(fetched.length, 1, `two checks, one module fetch: ${fetched}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a slow check can be cancelled and the next check starts a fresh worker", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const section = await challenge(page);
  // compare runs for every pair of events and burns part of its operation budget each time:
  // the check is slow but legal.
  const slow = REFERENCE.replace("fn compare(a, b) {", "fn compare(a, b) {\n    let n = 0; while n < 2000 { n += 1; }");
  await typeCode(section, slow);
  await section.getByRole("button", { name: /^Check on/ }).click();
  await section.locator("progress").waitFor({ timeout: 20_000 });
  await section.getByRole("button", { name: "Cancel" }).click();
  assert.match(await section.locator(".check-problem").textContent(), /cancelled/);
  await typeCode(section, REFERENCE);
  await check(section);
  assert.equal(await section.locator(".verdict-pass").count(), 1);
  assert.deepEqual(problems, []);
  await page.close();
});

test("the performance page runs the engine's benchmarks in the browser", async () => {
  const { page, problems } = await browser.open("#/bench");
  await page.getByRole("button", { name: "Run the benchmarks" }).click();
  await page.waitForFunction(() => document.querySelector(".bench [role=status]")?.textContent === "Done.",
    null, { timeout: 180_000 });
  // Every challenge's reference passes its 200 seeds in the worker.
  const checks = await page.$$eval("tr[data-metric^=check-ms-]", (trs) =>
    trs.map((tr) => [tr.dataset.metric.slice("check-ms-".length), tr.querySelector("td").textContent]));
  const every = readdirSync(new URL("../engine/challenges/", import.meta.url))
    .filter((f) => f.endsWith(".toml")).map((f) => f.slice(0, -".toml".length)).sort();
  assert.deepEqual(checks.map(([id]) => id).sort(), every);
  for (const [id, value] of checks) assert.match(value, /; Passed, 200 seeds run$/, id);
  // Every consistency model, on the same generated histories as `dslab bench-classify`.
  const classified = await page.locator("tr[data-metric=classify-ms] td").allTextContents();
  assert.equal(classified.length, 2, "two histories classified");
  assert.match(classified[0], /^linearizable register history: [\d.]+ ms \(linearizable=holds /);
  assert.match(classified[1], /^with stale reads: [\d.]+ ms \(linearizable=violated /);
  for (const scenario of ["heartbeat-spikes", "raft-election"]) {
    const rate = Number(await page.locator(`tr[data-metric=sim-events-per-second-${scenario}] td`).textContent());
    assert.ok(rate > 0, `the simulator ran ${scenario}`);
  }
  await shot(page, "bench");
  assert.deepEqual(problems, []);
  await page.close();
});

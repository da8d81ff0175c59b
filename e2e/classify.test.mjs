// "Classify this history" on chapter 2: ticking the models a history satisfies and checking
// marks each model right or wrong, a mistake's explanation highlights its operations on the
// drawing, and the result is kept with progress across a reload.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { useBrowser } from "./lib.mjs";

const browser = useBrowser();
const SECTION = "#/chapter/consistency-models/classify-these-histories";
const SHOTS = join(process.env.ARTIFACTS ?? "../artifacts", "screenshots");
const MODELS = ["Linearizable", "Sequential", "Causal", "Read your writes", "Monotonic reads",
  "Monotonic writes", "Writes follow reads"];

async function openExercise(options) {
  const { page, problems } = await browser.open(SECTION, options);
  const exercise = page.locator("section.classify");
  await exercise.waitFor();
  await exercise.scrollIntoViewIfNeeded();
  return { page, problems, exercise };
}

const box = (exercise, name) => exercise.getByRole("checkbox", { name, exact: true });

async function tick(exercise, names) {
  for (const name of MODELS) {
    const checkbox = box(exercise, name);
    if ((await checkbox.isChecked()) !== names.includes(name)) await checkbox.click();
  }
}

// The element as it sits on the whole page (an element screenshot would scroll the sticky
// header over it).
async function shotOf(locator, name) {
  const page = locator.page();
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await locator.boundingBox();
  const scroll = await page.evaluate(() => window.scrollY);
  await page.screenshot({
    path: join(SHOTS, `${name}.png`),
    fullPage: true,
    clip: { x: 0, y: box.y + scroll - 8, width: page.viewportSize().width, height: box.height + 16 },
  });
}

test("a history classified right is marked correct, a wrong one explained on the drawing, and both survive a reload", async () => {
  let { page, problems, exercise } = await openExercise();
  await page.evaluate(() => { localStorage.removeItem("dslab.progress"); localStorage.removeItem("dslab.theme"); });
  await page.reload();
  exercise = page.locator("section.classify");
  await exercise.waitFor();
  await exercise.scrollIntoViewIfNeeded();
  const position = exercise.locator(".classify-position");
  assert.match(await position.innerText(), /^History 1 of 9/);
  const summary = exercise.locator(".classify-summary");
  assert.equal(await summary.innerText(), "", "nothing is judged before a check");

  // History 1 satisfies every model: ticking all of them is right.
  await tick(exercise, MODELS);
  await exercise.getByRole("button", { name: "Check", exact: true }).click();
  await exercise.locator(".classify-summary.right").waitFor();
  assert.match(await summary.innerText(), /^Correct: it satisfies exactly Linearizable, Sequential/);
  assert.equal(await exercise.locator(".classify-result.right").count(), 7);
  assert.match(await position.innerText(), /✓ solved · 1 of 9 solved/);
  assert.match(await page.locator(".toc .progress-label").innerText(), /1\/9 histories/);

  // History 2 is a stale read: not linearizable. Ticked by keyboard (Space) and checked with
  // Enter, every box on: one mistake, explained.
  await exercise.getByRole("button", { name: "Next history" }).click();
  assert.match(await position.innerText(), /^History 2 of 9/);
  assert.equal(await box(exercise, "Linearizable").isChecked(), false, "a new history starts unticked");
  for (const name of MODELS) {
    await box(exercise, name).focus();
    await page.keyboard.press("Space");
  }
  await page.keyboard.press("Enter");
  await exercise.locator(".classify-summary.wrong").waitFor();
  assert.equal(await summary.innerText(), "Not quite: 1 of 7 wrong (Linearizable).");
  const wrong = exercise.locator(".classify-result.wrong");
  assert.equal(await wrong.count(), 1);
  assert.match(await wrong.innerText(), /Linearizable\s+violated\s+✗ wrong\s+stale read: client 2 read 1 after client 0's write of 2 had completed/);
  assert.equal(await exercise.locator(".classify-result.right").count(), 6);
  // Every model's sentence is shown, those that hold too.
  assert.match(await exercise.locator(".classify-results").innerText(), /one order that keeps each client's own order explains every read/);

  // Its explanation highlights the operations that show the stale read, on hover and on click.
  assert.equal(await exercise.locator(".history-op.marked").count(), 0);
  const why = wrong.getByRole("button");
  await why.hover();
  await exercise.locator("svg.history-svg.has-marks").waitFor();
  assert.equal(await exercise.locator(".history-op.marked").count(), 3);
  assert.match(await exercise.locator(".classify-marked").innerText(),
    /^Highlighted for Linearizable: client 0 w 1, client 0 w 2, client 2 r 1\.$/);
  const marked = await exercise.locator(".history-op.marked").evaluateAll((gs) => gs.map((g) => g.getAttribute("aria-label")));
  // Each name starts with the bar's own label, then says it is highlighted.
  assert.ok(marked.every((label) => /^[rw] [^:]+: highlighted: /.test(label)), marked.join("\n"));
  await why.click();
  assert.equal(await why.getAttribute("aria-pressed"), "true");
  await page.mouse.move(0, 0);
  assert.equal(await exercise.locator(".history-op.marked").count(), 3, "a click keeps the highlight");
  await shotOf(exercise, "classify-explained");

  // A reload keeps both results and the chapter's count.
  await page.reload();
  exercise = page.locator("section.classify");
  await exercise.waitFor();
  await exercise.scrollIntoViewIfNeeded();
  assert.match(await exercise.locator(".classify-position").innerText(), /^History 1 of 9 · ✓ solved · 1 of 9 solved/);
  assert.equal(await box(exercise, "Monotonic writes").isChecked(), true);
  await exercise.locator(".classify-summary.right").waitFor();
  assert.match(await page.locator(".toc .progress-label").innerText(), /1\/9 histories/);
  await exercise.getByRole("button", { name: "Next history" }).click();
  await exercise.locator(".classify-summary.wrong").waitFor();
  assert.equal(await box(exercise, "Linearizable").isChecked(), true);

  // Show answer: the key, unmarked; it stays while the learner ticks (a check's marks would
  // not: they judge the boxes as they were).
  await exercise.getByRole("button", { name: "Show answer" }).click();
  assert.match(await exercise.locator(".classify-summary").innerText(),
    /^The answer: it satisfies Sequential, Causal, Read your writes, Monotonic reads, Monotonic writes, Writes follow reads\.$/);
  assert.equal(await exercise.locator(".classify-result.answer").count(), 7);
  await box(exercise, "Linearizable").click();
  assert.match(await exercise.locator(".classify-summary").innerText(), /^The answer: /);
  await exercise.getByRole("button", { name: "Check", exact: true }).click();
  await exercise.locator(".classify-summary.right").waitFor();
  await box(exercise, "Causal").click();
  assert.equal(await exercise.locator(".classify-summary").innerText(), "", "a changed box hides the old marks");
  await shotOf(exercise, "classify-ticking");
  assert.deepEqual(problems, []);
  await page.close();
});

test("the exercise reads well at 390 px and in the dark theme", async () => {
  for (const [theme, viewport] of [["light", { width: 390, height: 844 }], ["dark", { width: 390, height: 844 }], ["dark", { width: 1280, height: 860 }]]) {
    const { page, problems } = await browser.open("#/");
    await page.evaluate((t) => localStorage.setItem("dslab.theme", t), theme);
    await page.close();
    const { page: p, problems: pageProblems, exercise } = await openExercise({ viewport });
    assert.equal(await p.evaluate(() => document.documentElement.dataset.theme), theme);
    // History 2 with every box ticked: one mistake, explained.
    await exercise.getByRole("button", { name: "Next history" }).click();
    await tick(exercise, MODELS);
    await exercise.getByRole("button", { name: "Check", exact: true }).click();
    await exercise.locator(".classify-result.wrong").getByRole("button").first().click();
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      "the page does not scroll sideways");
    await shotOf(exercise, `classify-${viewport.width}-${theme}`);
    // The real one: the Jepsen etcd excerpt, its stale read highlighted.
    for (let i = 0; i < 7; i++) await exercise.getByRole("button", { name: "Next history" }).click();
    assert.match(await exercise.locator(".classify-position").innerText(), /^History 9 of 9/);
    await exercise.getByRole("button", { name: "Show answer" }).click();
    await exercise.locator(".classify-results button").first().click();
    assert.match(await exercise.locator(".classify-marked").innerText(), /client 11 r 2/);
    await shotOf(exercise, `classify-etcd-${viewport.width}-${theme}`);
    assert.deepEqual([...problems, ...pageProblems], []);
    await p.close();
  }
});

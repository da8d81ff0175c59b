// Chapter 6 driven as a reader would: a checkout's waterfall with its critical path, a skewed
// clock that stamps effects before their causes in the wall-clock merge and not in the causal
// one, and the trace-context challenge solved by typing the reference.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chapterSim, playUntil, shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const CHAPTER_6 = "#/chapter/observability-and-debugging";

test("the chapter promises exactly what it embeds", async () => {
  const { page, problems } = await browser.open(CHAPTER_6);
  await page.locator(".prose h2", { hasText: "What you will do" }).waitFor();
  const promised = await page.evaluate(() => {
    const h2 = [...document.querySelectorAll(".prose h2")].find((h) => h.textContent.startsWith("What you will do"));
    return [...(h2?.nextElementSibling?.querySelectorAll("code") ?? [])].map((c) => c.textContent);
  });
  const sims = await page.locator(".sim-mount").evaluateAll((ms) => ms.map((m) => m.dataset.scenario));
  const challenges = await page.locator("section.challenge [id^=challenge-]").evaluateAll((hs) => hs.map((h) => h.id.slice("challenge-".length)));
  assert.ok(promised.length >= 5, `names what it embeds: ${promised}`);
  for (const id of promised.filter((c) => /^(obs|trace)-/.test(c))) assert.ok(sims.includes(id) || challenges.includes(id), `${id} is embedded`);
  for (const id of [...sims, ...challenges]) assert.ok(promised.includes(id), `${id} is promised`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a checkout's waterfall marks its critical path; clicking a span seeks the run to it", async () => {
  const { page, problems } = await browser.open(CHAPTER_6);
  const sim = await chapterSim(page, "obs-checkout");
  await playUntil(page, sim, 3000, "100");
  const trace = sim.locator("details.trace[open]").first();
  await trace.waitFor();
  const critical = await trace.locator(".span-bar.critical").count();
  const all = await trace.locator(".span-bar").count();
  assert.ok(critical >= 2 && critical < all, `some, not all, spans are critical: ${critical} of ${all}`);
  assert.match(await trace.locator(".span-bar.critical").first().getAttribute("aria-label"), /critical path/);
  assert.match(await sim.locator(".panel-traces .sampling").textContent(), /head sampling keeps \d+ and tail sampling \d+/);
  await trace.scrollIntoViewIfNeeded();
  await shot(page, "ch6-waterfall");
  const step = Number(await trace.locator(".span-bar").nth(1).getAttribute("data-step"));
  await trace.locator(".span-bar").nth(1).click();
  await page.waitForFunction(
    ([s]) => document.querySelector('figure.sim[data-scenario="obs-checkout"] .sim-clock').textContent.startsWith(`step ${s} `),
    [step],
  );
  assert.deepEqual(problems, []);
  await page.close();
});

test("a skewed clock stamps effects before their causes by wall clock; the causal merge flags none", async () => {
  const { page, problems } = await browser.open(CHAPTER_6);
  const sim = await chapterSim(page, "obs-skewed-clock");
  await playUntil(page, sim, 2500, "100");
  const logs = sim.locator(".panel-logs");
  assert.match(await logs.locator(".inversions").textContent(), /By wall clock, \d+ effects? (is|are) stamped before/);
  const [wall, causal] = [logs.locator(".log-table").nth(0), logs.locator(".log-table").nth(1)];
  assert.match(await wall.locator("caption").textContent(), /wall clock/);
  assert.match(await causal.locator("caption").textContent(), /causally/);
  assert.ok(await wall.locator(".inverted").count() >= 1, "the wall-clock merge flags a pair");
  assert.equal(await causal.locator(".inverted").count(), 0, "the causal merge flags none");
  await logs.scrollIntoViewIfNeeded();
  await shot(page, "ch6-merged-logs");
  assert.deepEqual(problems, []);
  await page.close();
});

test("the trace-context challenge: the starter fails; the reference, typed in, passes", async () => {
  const toml = readFileSync(new URL("../engine/challenges/trace-context.toml", import.meta.url), "utf8");
  const reference = toml.match(/^reference = '''\n([\s\S]*?)'''/m)[1];
  const { page, problems } = await browser.open(CHAPTER_6);
  const section = page.locator("section.challenge", { has: page.locator("#challenge-trace-context") });
  await section.scrollIntoViewIfNeeded();
  await section.locator(".editor[data-editor=rich] .cm-content").waitFor({ timeout: 30_000 });
  const check = section.getByRole("button", { name: /^Check on \d+ seeds$/ });
  await check.click();
  await section.locator(".check-report, .check-problem").waitFor({ timeout: 90_000 });
  assert.ok(await section.locator(".verdict-fail").count() >= 1, "the starter fails");
  await section.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(reference);
  await check.click();
  await section.locator(".verdict-pass").waitFor({ timeout: 120_000 });
  assert.match(await section.locator(".verdict-pass").textContent(), /Every property held on all 200 seeds/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("RED is drawn as four charts over the run's windows", async () => {
  const { page, problems } = await browser.open(CHAPTER_6);
  const sim = await chapterSim(page, "obs-slow-disk");
  await playUntil(page, sim, 2500, "100");
  const red = sim.locator(".panel-metrics");
  await red.locator(".red-charts svg.red-chart").first().waitFor();
  assert.equal(await red.locator("svg.red-chart").count(), 4);
  const titles = (await red.locator("svg.red-chart text").allTextContents()).map((t) => t.trim());
  for (const t of ["rate per 500 ticks", "errors per 500 ticks", "p50 duration, ticks", "p99 duration, ticks"]) {
    assert.ok(titles.includes(t), `a chart titled ${t}: ${titles.slice(0, 8)}`);
  }
  assert.ok(await red.locator("svg.red-chart polyline").count() >= 7 * 4, "a line per service in each chart");
  assert.equal(await red.locator("tbody .swatch").count(), 7, "each service's row names its colour");
  await red.scrollIntoViewIfNeeded();
  await shot(page, "ch6-red-charts");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a debugging puzzle is answered under its simulation, explained, and kept with progress", async () => {
  const { page, problems } = await browser.open(CHAPTER_6);
  const puzzles = page.locator("section.quiz.puzzle");
  await puzzles.first().waitFor();
  assert.equal(await puzzles.count(), 3);
  const disk = puzzles.filter({ hasText: "Which node makes the slowest checkouts slow?" });
  assert.equal(await disk.locator(".quiz-kicker").textContent(), "Debug it");
  await disk.scrollIntoViewIfNeeded();
  await disk.locator(".quiz-option label", { hasText: /^inventory$/ }).click();
  await disk.locator(".quiz-option.chosen.wrong .quiz-explanation").waitFor();
  assert.match(await disk.locator(".quiz-explanation").textContent(), /waits for db-2/);
  await disk.locator(".quiz-option label", { hasText: /^db-2$/ }).click();
  await disk.locator(".quiz-option.chosen.right").waitFor();
  assert.match(await disk.locator(".quiz-explanation").textContent(), /^Right\./);
  await shot(page, "ch6-puzzle");
  await page.reload();
  const again = page.locator("section.quiz.puzzle").filter({ hasText: "Which node makes the slowest checkouts slow?" });
  await again.locator(".quiz-option.chosen.right").waitFor();
  assert.match(await again.locator(".quiz-option.chosen").textContent(), /db-2/);
  assert.deepEqual(problems, []);
  await page.close();
});

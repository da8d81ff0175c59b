// Keyboard only: a simulation driven without a pointer (play, step, select a node, crash it,
// isolate it, present it full screen and come back at the same step), and a challenge solved
// from the editor with the keyboard alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const CHAPTER_1 = "#/chapter/why-distributed-systems-are-hard";

/** Presses Tab until `selector` matches the focused element (at most `limit` times). */
async function tabTo(page, selector, limit = 1500) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i + 1;
  }
  throw new Error(`Tab never reached ${selector}`);
}

const stepOf = async (sim) => Number((await sim.locator(".sim-clock").textContent()).match(/^step (\d+)/)[1]);

test("a simulation driven by keyboard alone, presented full screen and left at the same step", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  await page.locator("article.chapter h1").waitFor();
  await tabTo(page, "figure.sim");
  const sim = page.locator("figure.sim:focus");
  assert.equal(await stepOf(sim), 0);
  await page.keyboard.press(" ");
  await page.waitForFunction(() => Number(document.querySelector("figure.sim:focus .sim-clock").textContent.match(/^step (\d+)/)[1]) >= 3);
  await page.keyboard.press(" ");
  const paused = await stepOf(sim);
  await page.keyboard.press("ArrowRight");
  assert.equal(await stepOf(sim), paused + 1, "→ steps once");
  await page.keyboard.press("ArrowLeft");
  assert.equal(await stepOf(sim), paused, "← steps back");

  // Tab into the drawing to a node, select it, crash and restart it, isolate and rejoin it.
  await tabTo(page, "figure.sim .sim-cluster .node", 60);
  await page.keyboard.press("Enter");
  const down = () => page.locator("figure.sim .sim-cluster .node.down").count();
  const before = await down();
  await page.keyboard.press("c");
  assert.equal(await down(), before + 1, "c crashes the selected node");
  await page.keyboard.press("c");
  assert.equal(await down(), before, "c again restarts it");
  const cut = () => page.evaluate(() => document.activeElement.closest("figure.sim").querySelectorAll(".sim-cluster .link.cut").length);
  await page.keyboard.press("i");
  assert.ok((await cut()) >= 1, "i isolates the node");
  await page.keyboard.press("i");
  assert.equal(await cut(), 0, "i again rejoins it");

  // Present full screen and leave at the same step.
  const at = await page.evaluate(() => document.activeElement.closest("figure.sim").querySelector(".sim-clock").textContent);
  await page.keyboard.press("f");
  await page.waitForFunction(() => document.fullscreenElement?.matches("figure.sim"));
  await shot(page, "sim-presenting");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("f");
  await page.waitForFunction(() => document.fullscreenElement === null);
  const after = await page.evaluate(() => document.activeElement.closest("figure.sim").querySelector(".sim-clock").textContent);
  assert.equal(after, at, "back at the same step");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a challenge solved with the keyboard alone: type in the editor, check with Ctrl+Enter", async () => {
  const toml = readFileSync(new URL("../engine/challenges/vector-clocks.toml", import.meta.url), "utf8");
  const reference = toml.match(/^reference = '''\n([\s\S]*?)'''/m)[1];
  const { page, problems } = await browser.open(CHAPTER_1);
  await page.locator("article.chapter h1").waitFor();
  const presses = await tabTo(page, "section.challenge .cm-content");
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(reference);
  await page.keyboard.press("Control+Enter");
  const section = page.locator("section.challenge").first();
  await section.locator(".check-report").waitFor({ timeout: 60_000 });
  assert.ok(await section.locator(".verdict-pass").count() >= 1, "the reference passes");
  // Escape then Tab leaves the editor (Tab alone indents).
  await page.keyboard.press("Escape");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.matches(".cm-content")), false, "focus left the editor");
  console.log(`reached the editor in ${presses} Tab presses`);
  assert.deepEqual(problems, []);
  await page.close();
});

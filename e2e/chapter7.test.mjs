// Chapter 7 driven as a reader would: the store under its nemesis with the client history
// checked for linearizability, the de-duplication step solved by typing the reference, and a
// wrong step's failing run opened in the simulation view with its history.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chapterSim, playUntil, shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const CHAPTER_7 = "#/chapter/capstone-replicated-kv-store";

test("the store under the nemesis: the client history is checked for linearizability as it grows", async () => {
  const { page, problems } = await browser.open(CHAPTER_7);
  const sim = await chapterSim(page, "kv-nemesis");
  await playUntil(page, sim, 2500, "100");
  const history = sim.locator(".panel-history");
  await history.waitFor();
  assert.ok(await history.locator(".history-row, [class*=history-bar], rect").count() >= 3, "operations are drawn");
  const chip = history.locator('.verdict-chip[data-model="linearizable"]');
  assert.equal(await chip.count(), 1, "the history is judged for linearizability");
  assert.match(await chip.getAttribute("class"), /holds|unknown/, "the reference store never shows a violation");
  await history.scrollIntoViewIfNeeded();
  await shot(page, "ch7-nemesis-history");
  assert.deepEqual(problems, []);
  await page.close();
});

test("kv-dedup: the reference, typed in, passes; a table keyed by sequence number fails with a replayable run and its history", async () => {
  const toml = readFileSync(new URL("../engine/challenges/kv-dedup.toml", import.meta.url), "utf8");
  const reference = toml.match(/^reference = '''\n([\s\S]*?)'''/m)[1];
  const wrong = toml.match(/name = "no de-duplication \(step 1 as it was\)"\nviolates = "linearizable"\ncode = '''\n([\s\S]*?)'''/)[1];
  const { page, problems } = await browser.open(CHAPTER_7);
  const section = page.locator("section.challenge", { has: page.locator("#challenge-kv-dedup") });
  await section.scrollIntoViewIfNeeded();
  await section.locator(".editor[data-editor=rich] .cm-content").waitFor({ timeout: 30_000 });
  const type = async (code) => {
    await section.locator(".cm-content").click();
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.insertText(code);
  };
  const check = section.getByRole("button", { name: /^Check on \d+ seeds$/ });
  await type(reference);
  await check.click();
  await section.locator(".verdict-pass").waitFor({ timeout: 120_000 });
  assert.match(await section.locator(".verdict-pass").textContent(), /Every property held on all 200 seeds/);
  await type(wrong);
  await check.click();
  await section.locator(".verdict-fail").waitFor({ timeout: 120_000 });
  assert.match(await section.locator(".verdict-fail").textContent(), /violated on seed \d+/);
  await section.getByRole("button", { name: "Replay this run" }).click();
  const sim = section.locator("figure.sim");
  await sim.waitFor({ timeout: 30_000 });
  // The property is judged over the whole history when the run ends; the history panel shows
  // the violation at the step the replay opens at.
  await sim.locator(".panel-history").waitFor();
  assert.equal(await sim.locator('.panel-history .verdict-chip[data-model="linearizable"].violated').count(), 1,
    "the replay's history shows the violation");
  await sim.scrollIntoViewIfNeeded();
  await shot(page, "ch7-dedup-replay");
  assert.deepEqual(problems, []);
  await page.close();
});

test("kv-your-raft: the editor opens with the saved chapter 4 code; a wrong commit rule fails the store's history, the reference loaded again passes", async () => {
  const toml = readFileSync(new URL("../engine/challenges/raft-commit-rule.toml", import.meta.url), "utf8");
  const reference = toml.match(/^reference = '''\n([\s\S]*?)'''/m)[1];
  const wrong = toml.match(/name = "commits whatever it has appended"\nviolates = "[^"]+"\ncode = '''\n([\s\S]*?)'''/)[1];
  const { page, problems } = await browser.open(CHAPTER_7);
  // The learner saved a wrong commit rule in chapter 4 and no other part.
  await page.evaluate((code) => {
    for (const key of Object.keys(localStorage)) if (key.startsWith("dslab.code.")) localStorage.removeItem(key);
    localStorage.setItem("dslab.code.raft-commit-rule", code);
  }, wrong);
  await page.reload();
  const section = page.locator("section.challenge", { has: page.locator("#challenge-kv-your-raft") });
  await section.scrollIntoViewIfNeeded();
  await section.locator(".editor[data-editor=rich] .cm-content").waitFor({ timeout: 30_000 });
  const check = section.getByRole("button", { name: /^Check on \d+ seeds$/ });
  await check.click();
  // A check saves what it checks (the editor draws only the lines in view).
  const text = await page.evaluate(() => localStorage.getItem("dslab.code.kv-your-raft"));
  assert.match(text, /raft-request-vote: the reference \(no saved code\)/);
  assert.match(text, /raft-append-entries: the reference \(no saved code\)/);
  assert.match(text, /raft-commit-rule: your saved code/);
  await section.locator(".verdict-fail").waitFor({ timeout: 120_000 });
  assert.match(await section.locator(".verdict-fail").textContent(), /Linearizable: violated on seed \d+/);
  await section.getByRole("button", { name: "Replay this run" }).click();
  await section.locator("figure.sim .panel-history").waitFor({ timeout: 30_000 });
  await section.scrollIntoViewIfNeeded();
  await shot(page, "ch7-your-raft-fail");
  // Fixed in chapter 4, loaded again here.
  await page.evaluate((code) => localStorage.setItem("dslab.code.raft-commit-rule", code), reference);
  page.once("dialog", (dialog) => dialog.accept());
  await section.getByRole("button", { name: "Load my chapter 4 code" }).click();
  await check.click();
  await section.locator(".verdict-pass").waitFor({ timeout: 120_000 });
  assert.match(await section.locator(".verdict-pass").textContent(), /Every property held on all 200 seeds/);
  assert.deepEqual(problems, []);
  await page.close();
});

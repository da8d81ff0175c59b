// Chapter 5 driven as a reader would: crash the 2PC coordinator after the votes and watch the
// participants block in doubt, count the events a dual write loses, and watch the outbox with
// an idempotent consumer lose and duplicate nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chapterSim, playUntil, restart, shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const CHAPTER_5 = "#/chapter/distributed-transactions";

/** The note of row `label` in the panel titled `panel`. */
async function row(sim, panel, label) {
  const r = sim.locator(`.panel-grid[aria-label="${panel}"] tbody tr`, {
    has: sim.page().locator(`th:text-matches("^${label}\\\\b")`),
  });
  return (await r.locator("th .muted").textContent()).trim();
}

test("the chapter promises the simulations it embeds", async () => {
  const { page, problems } = await browser.open(CHAPTER_5);
  await page.locator(".prose h2", { hasText: "What you will do" }).waitFor();
  const promised = await page.evaluate(() => {
    const h2 = [...document.querySelectorAll(".prose h2")].find((h) => h.textContent.startsWith("What you will do"));
    return [...(h2?.nextElementSibling?.querySelectorAll("code") ?? [])].map((c) => c.textContent);
  });
  const embedded = await page.locator(".sim-mount").evaluateAll((ms) => ms.map((m) => m.dataset.scenario));
  const challenges = await page.locator("section.challenge [id^=challenge-]").evaluateAll((hs) => hs.map((h) => h.id.slice("challenge-".length)));
  for (const id of promised.filter((c) => /^(2pc|3pc|outbox|saga|twopc)-/.test(c))) {
    assert.ok(embedded.includes(id) || challenges.includes(id), `${id} is embedded`);
  }
  assert.ok(promised.length >= 5, `names its simulations: ${promised}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a coordinator crash after the votes leaves the participants in doubt, holding locks, until it recovers", async () => {
  const { page, problems } = await browser.open(CHAPTER_5);
  const sim = await chapterSim(page, "2pc-coordinator-crash");
  const t = await playUntil(page, sim, 520);
  assert.ok(t >= 520 && t < 774, `paused during the outage (t=${t})`);
  assert.equal(await sim.locator(".sim-cluster .node.down").count(), 1, "the coordinator is down");
  for (const p of ["n1", "n3"]) {
    const note = await row(sim, "Locks", p);
    const m = note.match(/holding 1 lock · in doubt: t3 since t=(\d+) \((\d+) ticks\)/);
    assert.ok(m, `${p} blocks in doubt: ${note}`);
    assert.ok(Number(m[2]) >= 150, `${p} has been blocked for a while: ${note}`);
  }
  assert.match(await row(sim, "Bank", "total"), /600 of 600 · conserved/);
  await sim.locator('.panel-grid[aria-label="Locks"]').scrollIntoViewIfNeeded();
  await shot(page, "ch5-2pc-in-doubt");
  // After the restart the coordinator finds no decision for t3: presumed abort frees the locks.
  await playUntil(page, sim, 100_000);
  for (const p of ["n1", "n2", "n3"]) assert.equal(await row(sim, "Locks", p), "no locks");
  assert.equal(await sim.locator("li.property.violated").count(), 0, "every property holds");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a dual write loses events across crashes; the outbox with an idempotent consumer loses and duplicates none", async () => {
  const { page, problems } = await browser.open(CHAPTER_5);
  const dual = await chapterSim(page, "outbox-dual-write");
  await playUntil(page, dual, 100_000);
  const lost = await row(dual, "Events", "LOST");
  assert.match(lost, /^\d+ · o\d+(, o\d+)*$/, `lost events are counted and named: ${lost}`);
  assert.ok(Number(lost.split(" ")[0]) >= 1);
  assert.equal(await dual.locator("li.property.violated code").first().textContent(), "no-lost-events");
  await shot(page, "ch5-dual-write");

  const relay = await chapterSim(page, "outbox-relay");
  await playUntil(page, relay, 100_000);
  assert.match(await row(relay, "Events", "DUPLICATED"), /^\d+ · o\d+/, "the naive consumer ships a republished event twice");
  assert.equal(await row(relay, "Events", "LOST"), "none");
  await restart(relay);
  await relay.getByLabel("Consumer", { exact: true }).selectOption("idempotent");
  await playUntil(page, relay, 100_000);
  assert.equal(await row(relay, "Events", "LOST"), "none");
  assert.equal(await row(relay, "Events", "DUPLICATED"), "none");
  assert.equal(await row(relay, "Events", "PHANTOM"), "none");
  assert.equal(await relay.locator("li.property.violated").count(), 0);
  await shot(page, "ch5-outbox-idempotent");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a saga whose reservation is refused is compensated in reverse, money and stock conserved", async () => {
  const { page, problems } = await browser.open(CHAPTER_5);
  const sim = await chapterSim(page, "saga-compensate");
  await playUntil(page, sim, 100_000);
  assert.ok(Number(await row(sim, "Orders", "compensated")) >= 1, "an order is compensated");
  assert.ok(Number(await row(sim, "Orders", "completed")) >= 1, "others complete");
  assert.equal(await row(sim, "Orders", "open"), "0");
  assert.equal(await row(sim, "Orders", "stuck"), "none");
  assert.equal(await sim.locator("li.property.violated").count(), 0, "every property holds");
  await sim.locator('.panel-grid[aria-label="Sagas"]').scrollIntoViewIfNeeded();
  await shot(page, "ch5-saga-compensated");
  assert.deepEqual(problems, []);
  await page.close();
});

test("the 2PC recovery challenge: the starter fails with a replayable counterexample; the reference, typed in, passes", async () => {
  const toml = readFileSync(new URL("../engine/challenges/twopc-recovery.toml", import.meta.url), "utf8");
  const reference = toml.match(/^reference = '''\n([\s\S]*?)'''/m)[1];
  const { page, problems } = await browser.open(CHAPTER_5);
  const section = page.locator("section.challenge", { has: page.locator("#challenge-twopc-recovery") });
  await section.scrollIntoViewIfNeeded();
  await section.locator(".editor[data-editor=rich] .cm-content").waitFor();
  const check = section.getByRole("button", { name: /^Check on \d+ seeds$/ });
  await check.click();
  await section.locator(".check-report, .check-problem").waitFor({ timeout: 90_000 });
  assert.equal(await section.locator(".verdict-pass").count(), 0, "the starter does not pass");
  assert.match(await section.locator(".check-report").textContent(), /seed \d+/, "the failure names its seed");
  await shot(page, "ch5-2pc-starter-failed");
  await section.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(reference);
  await check.click();
  await section.locator(".verdict-pass").waitFor({ timeout: 90_000 });
  assert.match(await section.locator(".verdict-pass").textContent(), /Every property held/);
  await shot(page, "ch5-2pc-passed");
  assert.deepEqual(problems, []);
  await page.close();
});

test("the event log crashes a participant just before a PREPARE reaches it, or just after", async () => {
  const { page, problems } = await browser.open(CHAPTER_5);
  const sim = await chapterSim(page, "2pc-commit");
  await playUntil(page, sim, 400);
  const log = sim.locator(".sim-log");
  const prepare = log.locator(".log-line.pickable", { hasText: /n1\s+recv\s+.*PREPARE/i }).first();
  const text = (await prepare.textContent()).trim();
  await prepare.click();
  const pick = log.locator(".log-pick");
  await pick.waitFor();
  assert.equal(await log.locator(".log-line.picked").count(), 1);
  await shot(page, "ch5-log-pick");
  await pick.getByRole("button", { name: "Crash n1 just before" }).click();
  await sim.locator(".sim-cluster .node.down").first().waitFor();
  assert.equal(await sim.locator(".sim-cluster .node.down").count(), 1);
  assert.equal(await sim.locator('[role=group][aria-label="Faults for n1"]').count(), 1, "the crashed node is selected");
  // The timeline forked just before the line: the PREPARE never reached n1.
  const lines = await log.locator(".log-line").allTextContents();
  assert.ok(!lines.some((l) => l.trim() === text), `${text} is gone`);
  assert.match(lines.at(-1), /n1\s+crash/);

  // Keyboard: focus the log, ↑ picks the latest message line, and "just after" keeps it.
  await restart(sim);
  await playUntil(page, sim, 400);
  await log.locator(".log-scroller").focus();
  await page.keyboard.press("ArrowUp");
  const picked = log.locator(".log-line.picked");
  await picked.waitFor();
  const kept = (await picked.textContent()).trim();
  await page.keyboard.press("ArrowUp");
  const earlier = (await log.locator(".log-line.picked").textContent()).trim();
  assert.notEqual(earlier, kept, "↑ moves to an earlier message line");
  await log.locator(".log-pick").getByRole("button", { name: /just after$/ }).click();
  await sim.locator(".sim-cluster .node.down").first().waitFor();
  const after = await log.locator(".log-line").allTextContents();
  assert.ok(after.some((l) => l.trim() === earlier), "the picked line stays in the run");
  assert.match(after.at(-1), /crash/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("3PC commits without its coordinator after a crash, and splits under a partition", async () => {
  const { page, problems } = await browser.open(CHAPTER_5);
  const crash = await chapterSim(page, "3pc-coordinator-crash");
  await playUntil(page, crash, 700);
  assert.equal(await crash.locator("li.property.violated").count(), 0, "no split without a partition");
  const split = await chapterSim(page, "3pc-partition");
  await playUntil(page, split, 700);
  await split.locator("li.property.violated code", { hasText: "atomic-outcome" }).waitFor();
  assert.match(await split.locator('.panel-grid[aria-label="Outcomes"]').textContent(), /atomicity broken/);
  await split.scrollIntoViewIfNeeded();
  await shot(page, "ch5-3pc-partition");
  assert.deepEqual(problems, []);
  await page.close();
});

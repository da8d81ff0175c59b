// Chapter 3 driven as a reader would: fail over an asynchronous leader and read the lost
// writes off the panel, measure the staleness chart, and solve the CRDT challenge.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chapterSim, restart, shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const CHAPTER_3 = "#/chapter/replication";

/** Plays until the simulated time passes `t`, then pauses. */
async function playUntil(page, sim, t) {
  await sim.locator(".sim-speed input").fill("100");
  await sim.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForFunction(
    ([scenario, t]) => {
      const figure = document.querySelector(`figure.sim[data-scenario="${scenario}"]`);
      const m = (figure?.querySelector(".sim-clock")?.textContent ?? "").match(/t = (\d+)/);
      return m && Number(m[1]) >= t;
    },
    [await sim.getAttribute("data-scenario"), t],
    { timeout: 60_000 },
  );
  await sim.locator(".sim-play").evaluate((b) => { if (b.getAttribute("aria-label") === "Pause") b.click(); });
}

/** The note of the summary panel's row `label`. */
async function summary(sim, label) {
  const row = sim.locator('.panel-grid[aria-label="Acknowledged writes"] tbody tr', {
    has: sim.page().locator(`th:text-matches("^${label}\\\\b")`),
  });
  return (await row.locator("th .muted").textContent()).trim();
}

test("an asynchronous failover loses the acknowledged writes the new leader never had, and lists them", async () => {
  const { page, problems } = await browser.open(CHAPTER_3);
  const sim = await chapterSim(page, "replication-failover");
  assert.equal(await sim.getByLabel("Replication", { exact: true }).inputValue(), "async");
  await playUntil(page, sim, 420);
  const lost = await summary(sim, "lost");
  assert.match(lost, /^\d+ · w\d+(, w\d+)*$/, `the lost writes are listed: ${lost}`);
  assert.match(await summary(sim, "leader"), /n1 · epoch 2/);
  assert.equal(await sim.locator("li.property.violated code").first().textContent(), "acknowledged-writes-survive");
  await sim.locator('.panel-grid[aria-label="Logs"]').scrollIntoViewIfNeeded();
  await shot(page, "ch3-failover-async");

  // Semi-synchronous replication keeps every acknowledged write through the same crash.
  await restart(sim);
  await sim.getByLabel("Replication", { exact: true }).selectOption("semisync");
  await playUntil(page, sim, 700);
  assert.equal(await summary(sim, "lost"), "none", "semisync loses nothing");
  await shot(page, "ch3-failover-semisync");
  assert.deepEqual(problems, []);
  await page.close();
});

test("the staleness chart is measured in the worker, with the closed form beside it", async () => {
  const { page, problems } = await browser.open(CHAPTER_3);
  const figure = page.locator("figure.staleness");
  await figure.scrollIntoViewIfNeeded();
  await figure.getByRole("button", { name: "Measure" }).click();
  await figure.locator("progress, .check-status").first().waitFor();
  await figure.getByText(/^Measured \d+ points/).waitFor({ timeout: 120_000 });
  assert.ok(await figure.locator("canvas.staleness-chart").isVisible(), "the chart is drawn");
  await figure.locator("summary").click();
  const heads = await figure.locator("thead th").allTextContents();
  assert.deepEqual(heads.slice(1), ["N=3 R=1 W=1", "N=3 R=1 W=2", "N=3 R=2 W=1", "N=3 R=2 W=2"]);
  const closed = await figure.locator("tr.closed-form td").allTextContents();
  assert.deepEqual(closed, ["33.3%", "66.7%", "66.7%", "100.0%"]);
  // The measured t = 0 row is near the closed form: a real measurement, not a formula.
  const first = (await figure.locator("tbody tr").nth(1).locator("td").allTextContents()).map(parseFloat);
  [33.3, 66.7, 66.7, 100].forEach((want, i) => assert.ok(Math.abs(first[i] - want) < 6, `t=0, curve ${i}: ${first[i]}% vs ${want}%`));
  // The last row: almost every read is fresh long after the write.
  const last = (await figure.locator("tbody tr").last().locator("td").allTextContents()).map(parseFloat);
  assert.ok(last.every((v) => v > 95), `long after the write reads are fresh: ${last}`);
  await figure.scrollIntoViewIfNeeded();
  await shot(page, "ch3-staleness");
  assert.deepEqual(problems, []);
  await page.close();
});

test("the CRDT challenge: the reference, typed in, passes", async () => {
  const toml = readFileSync(new URL("../engine/challenges/crdt-counters-sets.toml", import.meta.url), "utf8");
  const reference = toml.match(/^reference = '''\n([\s\S]*?)'''/m)[1];
  const { page, problems } = await browser.open(CHAPTER_3);
  const section = page.locator("section.challenge", { has: page.locator("#challenge-crdt-counters-sets") });
  await section.scrollIntoViewIfNeeded();
  await section.locator(".editor[data-editor=rich] .cm-content").waitFor();
  await section.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(reference);
  await section.getByRole("button", { name: /^Check on \d+ seeds$/ }).click();
  await section.locator(".check-report, .check-problem").waitFor({ timeout: 90_000 });
  assert.match(await section.locator(".verdict-pass").textContent(), /Every property held/);
  await shot(page, "ch3-crdt-passed");
  assert.deepEqual(problems, []);
  await page.close();
});

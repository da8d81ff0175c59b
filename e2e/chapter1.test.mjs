// Chapter 1 walked through as a reader would: every simulation runs and takes a fault, the
// failure detector's trade-off chart is drawn, and the failure-detector challenge is solved by
// typing its reference solution.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chapterSim, shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const CHAPTER_1 = "#/chapter/why-distributed-systems-are-hard";
const SCENARIOS = ["retry-lossy", "retry-dedup", "clocks-drift", "clocks-sync", "causality", "heartbeat-spikes", "heartbeat-wan"];

test("every simulation of chapter 1 runs, takes a crash, and logs it", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const mounts = page.locator(".sim-mount.lazy");
  await mounts.first().waitFor({ state: "attached" });
  assert.deepEqual(
    await mounts.evaluateAll((places) => places.map((f) => f.dataset.scenario)),
    SCENARIOS,
    "the chapter embeds these simulations, in this order",
  );
  for (let i = 0; i < SCENARIOS.length; i++) {
    const sim = await chapterSim(page, SCENARIOS[i]);
    await sim.focus();
    const before = await sim.locator(".log-line").count();
    for (let k = 0; k < 30; k++) await page.keyboard.press("ArrowRight");
    const [, step] = (await sim.locator(".sim-clock").textContent()).match(/step (\d+)/);
    assert.ok(Number(step) >= 20, `${SCENARIOS[i]} steps (at step ${step})`);
    assert.ok(await sim.locator(".log-line").count() > before, `${SCENARIOS[i]}: the log grows`);
    // Select the last node, crash it with C; the log says so.
    await sim.locator(".sim-cluster .node").last().click();
    await page.keyboard.press("c");
    assert.equal(await sim.locator(".sim-cluster .node.down").count(), 1, `${SCENARIOS[i]}: a node is down`);
    assert.match((await sim.locator(".log-line").allTextContents()).join("\n"), /crash/, `${SCENARIOS[i]}: the crash is logged`);
    await sim.focus();
    for (let k = 0; k < 20; k++) await page.keyboard.press("ArrowRight");
    await sim.screenshot({ path: `${process.env.ARTIFACTS ?? "../artifacts"}/screenshots/ch1-${SCENARIOS[i]}.png` });
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test("the slow-link detector draws every one of its 200-odd heartbeats in flight", async () => {
  const { page, problems } = await browser.open("#/sim/700/1~heartbeat-wan~1~t600c4~t1200r4");
  const sim = page.locator("figure.sim");
  await sim.locator(".sim-clock", { hasText: "step 700 " }).waitFor();
  const summary = await sim.locator("p.sr-only[aria-live]").textContent();
  const [, nodes, inFlight] = summary.match(/(\d+) nodes, \d+ down, (\d+) messages in flight/);
  assert.equal(Number(nodes), 7);
  assert.ok(Number(inFlight) >= 190 && Number(inFlight) <= 230, summary);
  assert.equal(await sim.locator(".sim-cluster .messages .message").count(), Number(inFlight));
  await shot(page, "ch1-heartbeat-wan-in-flight");
  assert.deepEqual(problems, []);
  await page.close();
});

test("the clocks simulations show drift without sync and a bounded error with it", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  for (const [scenario, property, broken] of [["clocks-drift", "clocks-agree-within-10", true], ["clocks-sync", "error-within-bound", false]]) {
    const sim = await chapterSim(page, scenario);
    await sim.focus();
    for (let k = 0; k < 150; k++) await page.keyboard.press("ArrowRight");
    assert.equal(await sim.locator(".panel-grid").first().locator("tbody tr").count(), 4, "a Clocks row per node");
    const mark = await sim.locator(".properties li", { hasText: property }).textContent();
    assert.match(mark, broken ? /violated/ : /holds/, `${property}: ${mark}`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test("the heartbeat simulation draws the timeout trade-off", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const sim = await chapterSim(page, "heartbeat-spikes");
  const chart = sim.locator(".sim-sweep");
  await chart.waitFor();
  assert.match(await chart.locator("canvas").getAttribute("aria-label"), /false suspicions/);
  await chart.locator("summary").click();
  const rows = chart.locator("tbody tr");
  assert.ok(await rows.count() >= 10);
  const first = Number(await rows.first().locator("td").first().textContent());
  const last = Number(await rows.last().locator("td").first().textContent());
  assert.ok(first > last, `a short timeout suspects more live peers (${first} > ${last})`);
  assert.equal(await chart.locator("tr.current").count(), 1, "the run's own timeout is marked");
  await chart.screenshot({ path: `${process.env.ARTIFACTS ?? "../artifacts"}/screenshots/ch1-timeout-trade-off.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test("the failure-detector challenge fails with its starter and passes with the reference", async () => {
  const toml = readFileSync(new URL("../engine/challenges/failure-detector.toml", import.meta.url), "utf8");
  const reference = toml.match(/^reference = '''\n([\s\S]*?)'''/m)[1];
  const { page, problems } = await browser.open(CHAPTER_1);
  const section = page.locator("section.challenge", { has: page.locator("#challenge-failure-detector") });
  await section.scrollIntoViewIfNeeded();
  const run = async () => {
    await section.getByRole("button", { name: /^Check on \d+ seeds$/ }).click();
    await section.locator(".check-report, .check-problem").waitFor({ timeout: 30_000 });
  };
  await run();
  assert.match(await section.locator(".verdict-fail").textContent(), /violated on seed \d+/);
  await shot(page, "ch1-failure-detector-failed");
  // The failure replays in the simulation view, stopped where the monitor failed.
  await section.getByRole("button", { name: "Replay this run" }).click();
  const sim = section.locator("figure.sim");
  await sim.waitFor({ timeout: 30_000 });
  assert.match(await sim.locator(".properties .property.violated").first().textContent(), /accuracy|completeness/);
  await sim.scrollIntoViewIfNeeded();
  await shot(page, "ch1-failure-detector-replay");
  await section.locator(".editor[data-editor=rich] .cm-content").waitFor();
  await section.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(reference);
  await run();
  assert.match(await section.locator(".verdict-pass").textContent(), /Every property held/);
  await shot(page, "ch1-failure-detector-passed");
  assert.deepEqual(problems, []);
  await page.close();
});

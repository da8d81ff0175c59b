// Chapter 2 driven as a reader would: configure the replicated register live, switch the CAP
// store to AP and watch the history lose linearizability, with the violating bars marked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chapterSim, restart, shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const CHAPTER_2 = "#/chapter/consistency-models";

async function simOf(page, scenario) {
  return chapterSim(page, scenario);
}

async function clock(sim) {
  const [, step, t] = (await sim.locator(".sim-clock").textContent()).match(/step (\d+) · t = (\d+)/);
  return { step: Number(step), t: Number(t) };
}

/** Plays until the simulated time passes `t` or the run ends, then pauses. */
async function playUntil(page, sim, t) {
  await sim.locator(".sim-speed input").fill("100");
  await sim.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForFunction(
    ([scenario, t]) => {
      const figure = document.querySelector(`figure.sim[data-scenario="${scenario}"]`);
      const m = (figure?.querySelector(".sim-clock")?.textContent ?? "").match(/t = (\d+)/);
      const ended = /The run has ended/.test(figure?.querySelector(".sim-notice")?.textContent ?? "");
      return ended || (m && Number(m[1]) >= t);
    },
    [await sim.getAttribute("data-scenario"), t],
    { timeout: 60_000 },
  );
  // Pause if it still plays (the run may have ended on its own meanwhile): one step in the page.
  await sim.locator(".sim-play").evaluate((b) => { if (b.getAttribute("aria-label") === "Pause") b.click(); });
}

/** Plays the run to its end: the workload is done and the replicas agree. */
async function playToEnd(page, sim) {
  await playUntil(page, sim, Number.MAX_SAFE_INTEGER);
  assert.match(await sim.locator(".sim-notice").textContent(), /The run has ended/);
}

function chip(sim, model) {
  return sim.locator(`.verdict-chip[data-model="${model}"]`);
}

test("the CAP store: CP times the minority out and stays linearizable; AP answers it and stops being linearizable", async () => {
  const { page, problems } = await browser.open(CHAPTER_2);
  let sim = await simOf(page, "register-cap");
  const mode = sim.getByLabel("Mode", { exact: true });
  assert.equal(await mode.inputValue(), "cp", "the store starts in CP mode");
  await playToEnd(page, sim);
  assert.match(await chip(sim, "linearizable").getAttribute("class"), /holds/, "CP: linearizable");
  assert.ok(await sim.locator(".history-op.unknown").count() >= 1, "CP: the minority's operations time out");
  await shot(page, "ch2-cap-cp");

  // AP from the start of the run: restart, switch, partition by hand as well, play.
  await restart(sim);
  assert.equal(await sim.locator(".sim-notice").count(), 0, "Restart clears the notice that the run had ended");
  await mode.selectOption("ap");
  assert.match((await sim.locator(".log-line").allTextContents()).join("\n"), /set mode=ap/);
  // And a partition of our own: cut the first link (n0 and n1) by clicking it.
  // By its name and Enter: a click at a line's centre can land on a link crossing it.
  await sim.getByRole("button", { name: /^Link n0–n1\./ }).focus();
  await page.keyboard.press("Enter");
  assert.equal(await sim.locator(".sim-cluster .link.cut").count(), 1);
  assert.match((await sim.locator(".log-line").allTextContents()).join("\n"), /cut n0->n1/);
  await playToEnd(page, sim);
  assert.equal(await sim.locator(".history-op.unknown").count(), 0, "AP answers every operation");
  const lin = chip(sim, "linearizable");
  assert.match(await lin.getAttribute("class"), /violated/, "AP: not linearizable");
  assert.equal(await lin.getAttribute("aria-pressed"), "true", "the strongest violation is the one marked");
  const stuck = sim.locator(".history-op.stuck");
  assert.ok(await stuck.count() >= 1, "the violating operations are marked on the bars");
  assert.match(await sim.locator(".history-anomaly").textContent(), /linearizable:/);
  await stuck.first().scrollIntoViewIfNeeded();
  await shot(page, "ch2-cap-ap");
  await sim.locator(".panel-history").screenshot({ path: `${process.env.ARTIFACTS ?? "../artifacts"}/screenshots/ch2-cap-ap-history.png` });
  // Clicking a marked operation goes to the step that invoked it.
  const target = Number(await stuck.first().getAttribute("data-step"));
  await stuck.first().locator("rect").click();
  assert.equal((await clock(sim)).step, target, "the run is at the operation's invocation");
  // The share link carries the switch.
  const token = await page.evaluate(() => location.href);
  assert.ok(token.includes("chapter/consistency-models"), token);
  assert.deepEqual(problems, []);
  await page.close();
});

test("the replicated register: reads from the leader keep the history linearizable; the chart prices each configuration", async () => {
  const { page, problems } = await browser.open(CHAPTER_2);
  const sim = await simOf(page, "register-replication");
  assert.equal(await sim.locator(".sim-option select").count(), 4, "writes, replication, reads, lag");
  assert.equal(await sim.getByLabel("Reads from").inputValue(), "nearest");
  await playToEnd(page, sim);
  assert.match(await chip(sim, "linearizable").getAttribute("class"), /violated/, "follower reads are stale");
  assert.match(await sim.locator(".history-anomaly").textContent(), /stale read|no order/);
  await shot(page, "ch2-register-default");

  await restart(sim);
  await sim.getByLabel("Reads from").selectOption("leader");
  assert.match((await sim.locator(".log-line").allTextContents()).join("\n"), /set reads=leader/);
  await playToEnd(page, sim);
  assert.match(await chip(sim, "linearizable").getAttribute("class"), /holds/, "leader reads are linearizable");
  assert.equal(await sim.locator(".history-op.stuck").count(), 0);

  const chart = sim.locator(".sim-sweep");
  await chart.scrollIntoViewIfNeeded();
  assert.equal(await chart.locator("canvas").count(), 1);
  await chart.locator("summary").click();
  const rows = await chart.locator("tbody th").allTextContents();
  assert.deepEqual(rows.slice(0, 2), ["async · nearest", "async · leader"], "configurations are named");
  await shot(page, "ch2-register-leader-reads");
  assert.deepEqual(problems, []);
  await page.close();
});

test("the chapter 2 simulations at phone width, light and dark", async () => {
  for (const theme of ["light", "dark"]) {
    const { page, problems } = await browser.open(CHAPTER_2, { viewport: { width: 390, height: 844 } });
    await page.evaluate((t) => document.documentElement.setAttribute("data-theme", t), theme);
    const sim = await simOf(page, "register-cap");
    await playUntil(page, sim, 300);
    await sim.locator(".panel-history").scrollIntoViewIfNeeded();
    await shot(page, `ch2-cap-390-${theme}`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal scroll at 390 px (${width})`);
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test("the session-tokens challenge: a token not advanced on reads fails monotonic reads and replays; the reference passes", async () => {
  const toml = readFileSync(new URL("../engine/challenges/session-tokens.toml", import.meta.url), "utf8");
  const reference = toml.match(/^reference = '''\n([\s\S]*?)'''/m)[1];
  const wrong = toml.match(/name = "token not advanced on reads"\nviolates = "monotonic-reads"\ncode = '''\n([\s\S]*?)'''/)[1];
  const { page, problems } = await browser.open(CHAPTER_2);
  const section = page.locator("section.challenge", { has: page.locator("#challenge-session-tokens") });
  await section.scrollIntoViewIfNeeded();
  const typeCode = async (code) => {
    await section.locator(".editor[data-editor=rich] .cm-content").waitFor();
    await section.locator(".cm-content").click();
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.insertText(code);
  };
  const check = async () => {
    await section.getByRole("button", { name: /^Check on \d+ seeds$/ }).click();
    await section.locator(".check-report, .check-problem").waitFor({ timeout: 60_000 });
  };
  await typeCode(wrong);
  await check();
  assert.match(await section.locator(".verdict-fail").textContent(), /violated on seed \d+/);
  assert.match(await section.locator(".check-report").textContent(), /monotonic/i);
  await section.getByRole("button", { name: "Replay this run" }).click();
  const sim = section.locator("figure.sim");
  await sim.waitFor({ timeout: 30_000 });
  await sim.scrollIntoViewIfNeeded();
  await shot(page, "ch2-session-tokens-replay");
  await typeCode(reference);
  await check();
  assert.match(await section.locator(".verdict-pass").textContent(), /Every property held on all 200 seeds/);
  await shot(page, "ch2-session-tokens-passed");
  assert.deepEqual(problems, []);
  await page.close();
});

// Runs the engine's in-browser benchmarks (#/bench) in headless Chromium and prints the table.
// Used by `./x bench` after the native benchmarks; not a test (it asserts nothing about time).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8080/";
// The reference histories (when present) are handed to the page, which times the checker on
// them in its worker: the same suites `dslab bench-lin` times natively.
const DATA = process.env.LIN_DATA ?? "../../shared/data/linearizability";

function suites() {
  if (!existsSync(join(DATA, "expected.tsv"))) return null;
  const names = readFileSync(join(DATA, "expected.tsv"), "utf8").split("\n").slice(1)
    .map((line) => line.split("\t")[0]).filter(Boolean);
  const load = (filter) => names.filter(filter).map((n) => [n, readFileSync(join(DATA, n), "utf8")]);
  return [
    { name: "all etcd histories", whole: false, histories: load((n) => n.startsWith("jepsen/")) },
    { name: "kv histories, per key", whole: false, histories: load((n) => n.startsWith("kv/")) },
    { name: "kv c01 + c10 as one state", whole: true,
      histories: load((n) => n.startsWith("kv/c01-") || n.startsWith("kv/c10-")) },
  ];
}
// The 7-node run with about 200 heartbeats in flight (chapter 1's slow-link detector).
const WAN = "1~heartbeat-wan~1~t600c4~t1200r4";
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** Plays the 7-node run for a few seconds: frame rate, and the page's script time per frame
 * (Chromium's own ScriptDuration over the frames drawn). */
async function animation(context) {
  const page = await context.newPage();
  await page.goto(BASE + `#/sim/600/${WAN}`);
  const sim = page.locator("figure.sim");
  await sim.waitFor();
  await sim.locator(".sim-speed input").fill("60");
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const metrics = async () => Object.fromEntries(
    (await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  await sim.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForTimeout(500);
  const before = await metrics();
  const { stamps, drawn } = await page.evaluate((ms) => new Promise((done) => {
    const stamps = [];
    const drawn = [];
    const start = performance.now();
    const frame = (t) => {
      stamps.push(t);
      if (stamps.length % 30 === 0) drawn.push(document.querySelectorAll("figure.sim .messages .message").length);
      if (t - start < ms) requestAnimationFrame(frame); else done({ stamps, drawn });
    };
    requestAnimationFrame(frame);
  }), 5_000);
  const after = await metrics();
  await sim.getByRole("button", { name: "Pause", exact: true }).click();
  await page.close();
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
  const seconds = (stamps[stamps.length - 1] - stamps[0]) / 1000;
  const frames = gaps.length;
  const scriptMs = (after.ScriptDuration - before.ScriptDuration) * 1000 / frames;
  const taskMs = (after.TaskDuration - before.TaskDuration) * 1000 / frames;
  return [
    ["7 nodes playing, messages drawn (min–max of samples)", `${Math.min(...drawn)}–${Math.max(...drawn)}`],
    ["  frames per second (5 s of play)", (frames / seconds).toFixed(1)],
    ["  frame interval p50 / p95 / max (ms)",
      [0.5, 0.95, 1].map((q) => quantile(gaps, q).toFixed(1)).join(" / ")],
    ["  script time per frame (ms, Chromium ScriptDuration)", scriptMs.toFixed(2)],
    ["  main-thread task time per frame (ms, incl. style/layout)", taskMs.toFixed(2)],
  ];
}

/** Opens the run at step 100,000 and drags the timeline to random steps: the time from the
 * input event to the next frame showing the new step. */
async function scrubbing(context) {
  const page = await context.newPage();
  const opened = Date.now();
  await page.goto(BASE + `#/sim/100000/${WAN}`);
  const sim = page.locator("figure.sim");
  await sim.locator(".sim-clock", { hasText: "step 100000 " }).waitFor({ timeout: 60_000 });
  const openMs = Date.now() - opened;
  const times = await page.evaluate(async () => {
    const input = document.querySelector("figure.sim .sim-scrubber input");
    const clock = document.querySelector("figure.sim .sim-clock");
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    const out = [];
    let x = 12345;
    for (let i = 0; i < 30; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const step = x % 100001;
      const t0 = performance.now();
      input.value = String(step);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      while (!clock.textContent.startsWith(`step ${step} `)) await frame();
      await frame();
      out.push(performance.now() - t0);
    }
    return out;
  });
  await page.close();
  return [
    ["Open a shared link at step 100,000 (ms, page load included)", String(openMs)],
    ["Scrub a 100,000-step run: input to next frame, p50 / p95 / max (ms, 30 drags)",
      [0.5, 0.95, 1].map((q) => quantile(times, q).toFixed(1)).join(" / ")],
  ];
}

const profile = mkdtempSync(join(tmpdir(), "dslab-bench-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await context.newPage();
  await page.goto(BASE + "#/bench");
  const given = suites();
  if (given) await page.evaluate((json) => { window.__dslabHistories = json; }, JSON.stringify(given));
  // Long tasks (over 50 ms) on the page's main thread while the challenge checks run in the
  // worker: the window opens when the status says a check started and closes when the last
  // check's row appears.
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
    window.__checks = { start: null, end: null };
    const status = document.querySelector(".bench [role=status]");
    new MutationObserver(() => {
      const text = status.textContent;
      if (window.__checks.start === null && text.startsWith("Checking the ")) window.__checks.start = performance.now();
      if (window.__checks.start !== null && window.__checks.end === null && !text.startsWith("Checking the ")) window.__checks.end = performance.now();
    }).observe(status, { childList: true, characterData: true, subtree: true });
  });
  await page.getByRole("button", { name: "Run the benchmarks" }).click();
  await page.waitForFunction(() => document.querySelector(".bench [role=status]")?.textContent === "Done.",
    null, { timeout: 300_000 });
  const rows = await page.$$eval("tr[data-metric]", (trs) =>
    trs.map((tr) => [tr.querySelector("th").textContent, tr.querySelector("td").textContent]));
  const blocking = await page.evaluate(() => {
    const { start, end } = window.__checks;
    const during = window.__longTasks.filter(([t, d]) => t + d >= start && t <= end);
    return { seconds: (end - start) / 1000, count: during.length, longest: Math.max(0, ...during.map(([, d]) => d)),
      all: window.__longTasks.length };
  });
  // The simulator benchmarks before the checks block the main thread on purpose: the
  // observer's count of those shows it sees long tasks.
  rows.push(["Main thread during the checks: long tasks (> 50 ms), longest (ms)",
    `${blocking.count}, ${blocking.longest.toFixed(0)} (over ${blocking.seconds.toFixed(1)} s of checks; ${blocking.all} on the whole page)`]);
  rows.push(...await animation(context), ...await scrubbing(context));
  const version = await context.browser()?.version() ?? "Chromium";
  console.log(`in the browser (${version}, wasm):`);
  for (const [label, value] of rows) console.log(`  ${label.padEnd(66)} ${value}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

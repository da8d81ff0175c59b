// Shared set-up for the end-to-end tests: one headless Chromium per test file, pages that fail
// their test on any console error, and screenshots in the ignored artifacts folder.
import { before, after } from "node:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8080/";
const SHOTS = join(process.env.ARTIFACTS ?? "../artifacts", "screenshots");
mkdirSync(SHOTS, { recursive: true });

/** Launches the browser for this file; returns an object whose fields fill in before tests run. */
export function useBrowser() {
  const state = { context: null, foreignRequests: [], ownRequests: [] };
  let profile;
  before(async () => {
    profile = mkdtempSync(join(tmpdir(), "dslab-e2e-"));
    state.context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      viewport: { width: 1280, height: 860 },
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    await state.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(BASE).origin });
    state.context.on("request", (request) => {
      const url = new URL(request.url());
      if (["data:", "blob:"].includes(url.protocol)) return;
      (url.origin === new URL(BASE).origin ? state.ownRequests : state.foreignRequests).push(request.url());
    });
  });
  after(async () => {
    await state.context?.close();
    rmSync(profile, { recursive: true, force: true });
  });
  /** Opens a page at `hash`; `problems` collects console errors and uncaught exceptions. */
  state.open = async (hash = "#/", { viewport } = {}) => {
    const page = await state.context.newPage();
    if (viewport) await page.setViewportSize(viewport);
    const problems = [];
    page.on("console", (msg) => { if (msg.type() === "error") problems.push(`console: ${msg.text()}`); });
    page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
    await page.goto(BASE + hash);
    await page.waitForSelector("main#main");
    return { page, problems };
  };
  return state;
}

export async function shot(page, name, options = {}) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false, ...options });
}

export async function chapterLinks(page) {
  return page.$$eval(".chapter-card a", (as) => as.map((a) => a.getAttribute("href")));
}

/** A chapter's simulation of `scenario`: scrolled to (it mounts only near the viewport) and
 * loaded. */
export async function chapterSim(page, scenario) {
  const mount = scenario ? page.locator(`.sim-mount[data-scenario="${scenario}"]`) : page.locator(".sim-mount.lazy").first();
  await mount.waitFor({ state: "attached" });
  await mount.scrollIntoViewIfNeeded();
  const sim = mount.locator("figure.sim");
  await sim.waitFor();
  await sim.scrollIntoViewIfNeeded();
  return sim;
}

/** Restarts a simulation's run and waits until it is back at its first step, paused, so that
 * what the test does next happens at step 0. */
export async function restart(sim) {
  await sim.getByRole("button", { name: "Restart", exact: true }).click();
  await sim.locator(".sim-clock", { hasText: /^step 0 · t = 0\b/ }).waitFor({ timeout: 30_000 });
  await sim.locator('.sim-play[aria-label="Play"]').waitFor({ timeout: 30_000 });
}

/** Plays a simulation at `speed` until its clock passes `t` (or the run ends), then pauses;
 * returns the time it paused at. */
export async function playUntil(page, sim, t, speed = "60") {
  await sim.locator(".sim-speed input").fill(speed);
  await sim.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForFunction(
    ([scenario, t]) => {
      const figure = document.querySelector(`figure.sim[data-scenario="${scenario}"]`);
      const m = (figure?.querySelector(".sim-clock")?.textContent ?? "").match(/t = (\d+)/);
      const ended = figure?.querySelector('.sim-play[aria-label="Play"]') && m && Number(m[1]) > 0;
      return (m && Number(m[1]) >= t) || ended;
    },
    [await sim.getAttribute("data-scenario"), t],
    { timeout: 90_000 },
  );
  await sim.locator(".sim-play").evaluate((b) => { if (b.getAttribute("aria-label") === "Pause") b.click(); });
  return Number((await sim.locator(".sim-clock").textContent()).match(/t = (\d+)/)[1]);
}

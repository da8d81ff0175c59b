// The site after one visit, with the network gone: the service worker serves the whole build,
// so a reload works and a chapter never opened before runs its simulation and checks code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { BASE, chapterSim, shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const DIST = new URL("../dist/", import.meta.url).pathname;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css",
  ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png", ".webmanifest": "application/manifest+json" };

/** Serves dist/ on a port of its own, so that the test can take the server away; `build.next`
 * makes it serve a service worker of another version, as after a new build. */
async function serveDist(build = { next: false }) {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^\/+/, "");
    try {
      let body = readFileSync(join(DIST, path === "" ? "index.html" : path));
      if (path === "sw.js" && build.next) body = body.toString().replace(/const VERSION = "(\w+)"/, 'const VERSION = "$1-next"');
      res.writeHead(200, { "content-type": TYPES[extname(path || "index.html")] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

test("after one visit the site works offline: a reload, a new chapter, a simulation and a check", async () => {
  const { server, url } = await serveDist();
  const page = await browser.context.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  await page.goto(url + "#/");
  await page.waitForSelector("main#main");
  // The service worker has precached the build.
  const controlled = () => page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    return registration?.active?.state === "activated" && !!navigator.serviceWorker.controller;
  });
  for (let waited = 0; !(await controlled()); waited += 250) {
    assert.ok(waited < 120_000, "the service worker took over within two minutes");
    await page.waitForTimeout(250);
  }
  // The network is gone: the server stops.
  await new Promise((resolve) => server.close(resolve));
  server.closeAllConnections?.();
  await page.reload();
  await page.waitForSelector("main#main");
  assert.ok(await page.locator(".chapter-card").count() >= 7, "the home page lists the chapters offline");
  // Chapter 1 was never opened: its body, the simulations and the checker come from the cache.
  await page.goto(url + "#/chapter/why-distributed-systems-are-hard");
  await page.locator("article.chapter h1").waitFor();
  const sim = await chapterSim(page);
  await sim.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForFunction((el) => !/step 0 ·/.test(el.querySelector(".sim-clock")?.textContent ?? "step 0 ·"),
    await sim.elementHandle(), { timeout: 30_000 });
  await sim.locator(".sim-play").evaluate((b) => { if (b.getAttribute("aria-label") === "Pause") b.click(); });
  const toml = readFileSync(new URL("../engine/challenges/vector-clocks.toml", import.meta.url), "utf8");
  const reference = toml.match(/^reference = '''\n([\s\S]*?)'''/m)[1];
  const section = page.locator("section.challenge", { has: page.locator("#challenge-vector-clocks") });
  await section.scrollIntoViewIfNeeded();
  await section.locator(".editor[data-editor=rich] .cm-content").waitFor({ timeout: 30_000 });
  await section.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(reference);
  await section.getByRole("button", { name: /^Check on \d+ seeds$/ }).click();
  await section.locator(".check-report, .check-problem").waitFor({ timeout: 60_000 });
  assert.match(await section.locator(".verdict-pass").textContent(), /Every property held/);
  await shot(page, "offline-check-passed");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a new build is offered, not forced: the reader reloads into it", async () => {
  const build = { next: false };
  const { server, url } = await serveDist(build);
  const page = await browser.context.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  await page.goto(url + "#/");
  await page.waitForSelector("main#main");
  const caches = () => page.evaluate(() => caches.keys());
  for (let waited = 0; !(await page.evaluate(() => !!navigator.serviceWorker.controller)); waited += 250) {
    assert.ok(waited < 120_000, "the service worker took over");
    await page.waitForTimeout(250);
  }
  const first = await caches();
  assert.equal(first.length, 1);
  assert.equal(await page.locator("#update-notice").count(), 0, "no notice on a first visit");
  // A new build: the browser finds it on its next check and installs it beside the old one.
  build.next = true;
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  const notice = page.locator("#update-notice");
  await notice.waitFor({ timeout: 60_000 });
  assert.match(await notice.textContent(), /A new version of DistSys Lab is available/);
  await shot(page, "offline-update-notice");
  // The reader chooses: the new worker takes over, the page reloads, the old cache is gone.
  await Promise.all([page.waitForEvent("load"), notice.getByRole("button", { name: "Reload" }).click()]);
  await page.waitForSelector("main#main");
  const second = await caches();
  assert.equal(second.length, 1);
  assert.notEqual(second[0], first[0]);
  assert.match(second[0], /-next$/);
  await new Promise((resolve) => server.close(resolve));
  server.closeAllConnections?.();
  assert.deepEqual(problems, []);
  await page.close();
});

test("a checker that cannot load says so at once", async () => {
  // A fresh page whose worker files are unreachable (as offline before they were ever fetched).
  const page = await browser.context.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  // No service worker, no cache: the files must come from the network, which fails.
  await page.goto(BASE + "#/");
  await page.evaluate(async () => {
    for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
    for (const k of await caches.keys()) await caches.delete(k);
  });
  await page.route(/worker(_loader|_bg)?\.(js|wasm)$/, (route) => route.abort("internetdisconnected"));
  await page.goto(BASE + "#/chapter/why-distributed-systems-are-hard");
  const section = page.locator("section.challenge", { has: page.locator("#challenge-vector-clocks") });
  await section.scrollIntoViewIfNeeded();
  await section.getByRole("button", { name: /^Check on \d+ seeds$/ }).click();
  const problem = section.locator(".check-problem");
  await problem.waitFor({ timeout: 30_000 });
  assert.match(await problem.textContent(), /could not be loaded|could not start|did not start/);
  assert.deepEqual(problems, []);
  await page.close();
});

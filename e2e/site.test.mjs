// End-to-end tests of the built site (dist/) served on 127.0.0.1, in headless Chromium.
// Run by `./x test`, which serves dist/ and sets BASE_URL and ARTIFACTS.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { BASE, chapterLinks, chapterSim, shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const open = (...args) => browser.open(...args);

/** The chapters in content/, in order: each file's `hours` from its front matter. */
const CHAPTERS = readdirSync(new URL("../content/", import.meta.url))
  .filter((f) => /^\d\d-.*\.md$/.test(f))
  .sort()
  .map((f) => readFileSync(new URL(`../content/${f}`, import.meta.url), "utf8").match(/^hours:\s*(\d+)/m)[1]);

test("the home page lists every chapter of content/ with its workshop hours", async () => {
  const { page, problems } = await open();
  const cards = page.locator(".chapter-card");
  assert.equal(await cards.count(), CHAPTERS.length);
  const hours = await page.$$eval(".chapter-card .hours", (els) => els.map((e) => e.textContent.trim()));
  assert.deepEqual(hours, CHAPTERS.map((h) => `${h} h`));
  assert.match(await page.title(), /DistSys Lab/);
  await shot(page, "home");
  await shot(page, "home-full", { fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("every chapter page renders its title, contents and quiz without console errors", async () => {
  const { page: home } = await open();
  const links = await chapterLinks(home);
  await home.close();
  for (const [index, href] of links.entries()) {
    const { page, problems } = await open(href);
    const title = await page.locator("article.chapter h1").textContent();
    assert.ok(title.length > 5, `chapter ${href} has a title`);
    assert.match(await page.title(), new RegExp(`^${index + 1}\\. `));
    assert.ok(await page.locator(".toc li").count() >= 3, `${href} has a table of contents`);
    assert.ok(await page.locator(".quiz").count() >= 1, `${href} has a self-check`);
    assert.equal(await page.locator(".chapter-nav a").count(), index === 0 || index === links.length - 1 ? 1 : 2);
    await shot(page, `chapter-${index + 1}`);
    assert.deepEqual(problems, [], `${href}: ${problems.join("\n")}`);
    await page.close();
  }
});

test("navigation: cards, next/previous links, keyboard shortcuts and deep links to sections", async () => {
  const { page, problems } = await open();
  await page.locator(".chapter-card a").first().click();
  await page.waitForSelector("article.chapter");
  const first = page.url();
  assert.match(first, /#\/chapter\/[a-z0-9-]+$/);
  await page.locator(".chapter-nav a.next").click();
  await page.waitForFunction(() => document.title.startsWith("2. "));
  await page.keyboard.press("n");
  await page.waitForFunction(() => document.title.startsWith("3. "));
  await page.keyboard.press("p");
  await page.waitForFunction(() => document.title.startsWith("2. "));
  await page.keyboard.press("?");
  await page.waitForSelector("[role=dialog]");
  await shot(page, "shortcuts");
  await page.keyboard.press("Escape");
  assert.equal(await page.locator("[role=dialog]").count(), 0);
  await page.keyboard.press("h");
  await page.waitForSelector(".chapter-list");

  // A deep link to a section opens the chapter scrolled to that heading.
  const tocHref = await (async () => {
    const { page: p } = await open(first.slice(first.indexOf("#")));
    const hrefs = await p.$$eval(".toc a", (as) => as.map((a) => a.getAttribute("href")));
    await p.close();
    return hrefs[Math.min(4, hrefs.length - 1)];
  })();
  const { page: deep, problems: deepProblems } = await open(tocHref);
  const id = tocHref.split("/").pop();
  await deep.waitForFunction((id) => {
    const el = document.getElementById(id);
    if (!el) return false;
    const top = el.getBoundingClientRect().top;
    return top >= 0 && top < window.innerHeight / 2;
  }, id);
  await shot(deep, "deep-link");
  assert.deepEqual([...problems, ...deepProblems], []);
  await page.close();
  await deep.close();
});

test("a quiz answer shows its explanation and is remembered on the home page", async () => {
  const { page, problems } = await open();
  const href = (await chapterLinks(page))[0];
  await page.goto(BASE + href);
  const quiz = page.locator(".quiz").first();
  await quiz.scrollIntoViewIfNeeded();
  const options = quiz.locator(".quiz-option");
  assert.ok((await options.count()) >= 2);
  await options.first().locator("label").click();
  const explanation = quiz.locator(".quiz-explanation");
  await explanation.waitFor();
  assert.ok((await explanation.textContent()).length > 10, "the explanation has text");
  // Find the right answer and choose it: the page says so, in words, not only in colour.
  const count = await options.count();
  for (let i = 0; i < count; i++) {
    await options.nth(i).locator("label").click();
    if ((await quiz.locator(".quiz-option.right").count()) === 1) break;
  }
  assert.equal(await quiz.locator(".quiz-option.right").count(), 1);
  await shot(page, "quiz-answered");
  await page.reload();
  await page.waitForSelector(".quiz");
  assert.equal(await page.locator(".quiz").first().locator(".quiz-option.right").count(), 1, "the answer survives a reload");
  await page.goto(BASE + "#/");
  const label = await page.locator(".chapter-card").first().locator(".progress-label").textContent();
  assert.match(label, /^1\/\d+ questions/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("an unknown URL shows a friendly not-found page with navigation", async () => {
  for (const hash of ["#/no/such/page", "#/chapter/no-such-chapter"]) {
    const { page, problems } = await open(hash);
    await page.waitForSelector(".not-found");
    assert.match(await page.locator(".not-found h1").textContent(), /no page here/i);
    assert.equal(await page.locator(".not-found .plain-chapters a").count(), CHAPTERS.length);
    await shot(page, `not-found${hash.includes("chapter") ? "-chapter" : ""}`);
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test("the theme toggle switches to dark and is remembered", async () => {
  const { page, problems } = await open();
  const before = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.locator(".theme-toggle").click();
  const after = await page.evaluate(() => document.documentElement.dataset.theme);
  assert.notEqual(after, before);
  if (after !== "dark") await page.locator(".theme-toggle").click();
  await page.reload();
  await page.waitForSelector(".chapter-list");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await shot(page, "home-dark");
  const href = (await chapterLinks(page))[3];
  await page.goto(BASE + href);
  await page.waitForSelector("article.chapter");
  await shot(page, "chapter-4-dark");
  await page.locator(".theme-toggle").click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
  assert.deepEqual(problems, []);
  await page.close();
});

test("damaged saved progress is reported and backed up, not silently dropped", async () => {
  const { page } = await open();
  await page.evaluate(() => localStorage.setItem("dslab.progress", "{not json"));
  await page.reload();
  const notice = page.locator(".notice[role=alert]");
  await notice.waitFor();
  assert.match(await notice.textContent(), /damaged/);
  const backups = await page.evaluate(() =>
    Object.keys(localStorage).filter((k) => k.startsWith("dslab.progress.backup.")).map((k) => localStorage.getItem(k)));
  assert.deepEqual(backups, ["{not json"]);
  await shot(page, "storage-notice");
  await notice.locator("button").click();
  assert.equal(await page.locator(".notice[role=alert]").count(), 0);
  await page.close();
});

test("the layout works on a phone", async () => {
  const { page, problems } = await open("#/", { viewport: { width: 390, height: 844 } });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
  await shot(page, "home-phone");
  const href = (await chapterLinks(page))[0];
  await page.goto(BASE + href);
  await page.waitForSelector("article.chapter");
  const chapterOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(chapterOverflow <= 0, `no horizontal scrolling on a chapter (overflow ${chapterOverflow}px)`);
  await shot(page, "chapter-phone");
  assert.deepEqual(problems, []);
  await page.close();
});

test("progress and code export to a file and import back, after a confirmation", async () => {
  const { page, problems } = await open();
  const record = {
    version: 1,
    quizzes: { "why-distributed-systems-are-hard/q1": 1 },
    challenges: { "vector-clocks": true },
    classify: { "consistency-models/classify/02-stale-read.jsonl": ["sequential", "causal"] },
  };
  await page.evaluate((r) => {
    localStorage.setItem("dslab.progress", JSON.stringify(r));
    localStorage.setItem("dslab.code.vector-clocks", "fn on_local(clock, me) { clock }");
  }, record);
  await page.reload();
  await page.waitForSelector(".progress-file");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export progress" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "dslab-progress.json");
  const file = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(file.format, "dslab-progress");
  assert.deepEqual(file.progress, record);
  assert.equal(file.code["vector-clocks"], "fn on_local(clock, me) { clock }");
  // A new browser: nothing stored. Import the file (the page asks first).
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.waitForSelector(".progress-file");
  page.once("dialog", (dialog) => dialog.accept());
  const input = page.locator(".progress-file input[type=file]");
  await input.setInputFiles({ name: "dslab-progress.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(file)) });
  await page.locator(".progress-file [role=status]", { hasText: "Imported 1 quiz answer(s), 1 challenge result(s), 1 classified history(ies)" }).waitFor();
  const stored = await page.evaluate(() => [localStorage.getItem("dslab.progress"), localStorage.getItem("dslab.code.vector-clocks")]);
  assert.deepEqual(JSON.parse(stored[0]), record);
  assert.equal(stored[1], "fn on_local(clock, me) { clock }");
  // A file that is not a progress file is refused with a reason, and nothing changes.
  await input.setInputFiles({ name: "other.json", mimeType: "application/json", buffer: Buffer.from('{"hello": 1}') });
  await page.locator(".progress-file [role=status]", { hasText: "not a progress file" }).waitFor();
  await shot(page, "progress-import-refused");
  assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem("dslab.progress"))), record);
  assert.deepEqual(problems, []);
  await page.close();
});

test("no request leaves the site's own origin", async () => {
  // Loads of its own, so the test means something when run alone: the home page, a chapter
  // with simulations and challenges (the sims module, the worker, the editor bundle, a body).
  const before = browser.ownRequests.length;
  for (const hash of ["#/", "#/chapter/consensus"]) {
    const { page, problems } = await browser.open(hash);
    // Simulations and the editor load as the reader comes near them.
    if (hash !== "#/") {
      await chapterSim(page);
      await page.locator("section.challenge").first().scrollIntoViewIfNeeded();
    }
    await page.waitForLoadState("networkidle");
    assert.deepEqual(problems, []);
    await page.close();
  }
  const loaded = browser.ownRequests.slice(before);
  assert.ok(loaded.some((u) => /sims.*\.wasm/.test(u)), `the simulations module was fetched: ${loaded}`);
  assert.ok(loaded.some((u) => /chapters\/.*\.json/.test(u)), "a chapter body was fetched");
  assert.deepEqual(browser.foreignRequests, []);
});

test("the home page links each outcome to its chapters and continues where the reader left off", async () => {
  const { page, problems } = await browser.open("#/");
  await page.evaluate(() => localStorage.removeItem("dslab.place"));
  await page.reload();
  const outcomes = page.locator("ul.outcomes > li");
  await outcomes.first().waitFor();
  assert.equal(await outcomes.count(), 6);
  for (let i = 0; i < 6; i++) assert.ok(await outcomes.nth(i).locator("a").count() >= 1, `outcome ${i + 1} links to a chapter`);
  assert.equal(await page.locator(".hero-actions .continue").count(), 0, "nothing to continue on a first visit");
  await page.goto(new URL("#/chapter/consensus/raft-terms-and-roles", page.url()).href);
  await page.locator("article.chapter h1").waitFor();
  await page.goto(new URL("#/", page.url()).href);
  const go = page.locator(".hero-actions .continue");
  await go.waitFor();
  assert.match(await go.textContent(), /^Continue: 4\. .+ — /);
  await go.click();
  await page.locator("article.chapter h1").waitFor({ timeout: 10_000 }).catch((e) => {
    throw new Error(`the chapter did not open: ${problems.join(" | ").slice(0, 1500)}`, { cause: e });
  });
  assert.match(page.url(), /#\/chapter\/consensus\/raft-terms-and-roles$/);
  assert.deepEqual(problems, []);
  await page.close();
});

// Accessibility audited with axe-core: the home page, every chapter with its simulations
// mounted, and a challenge with a failed check have no serious or critical violation.
import { test } from "node:test";
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import { chapterLinks, useBrowser } from "./lib.mjs";

const browser = useBrowser();

/** Serious and critical violations on the page, one line each with where they are. */
async function violations(page) {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}

/** Scrolls a chapter top to bottom so that every lazy simulation mounts, then waits for them. */
async function mountEverything(page) {
  const mounts = page.locator(".sim-mount");
  for (let i = 0; i < (await mounts.count()); i++) {
    await mounts.nth(i).scrollIntoViewIfNeeded();
    await mounts.nth(i).locator("figure.sim").waitFor({ timeout: 30_000 });
  }
}

test("the home page has no serious or critical accessibility violation", async () => {
  const { page } = await browser.open("#/");
  assert.deepEqual(await violations(page), []);
  await page.close();
});

test("every chapter, with its simulations mounted, has no serious or critical accessibility violation", async () => {
  const { page } = await browser.open("#/");
  const links = await chapterLinks(page);
  assert.equal(links.length, 7);
  for (const href of links) {
    await page.goto(new URL(href, page.url()).href);
    await page.locator("article.chapter h1").waitFor();
    await mountEverything(page);
    assert.deepEqual(await violations(page), [], href);
  }
  await page.close();
});

test("a challenge with a failed check has no serious or critical accessibility violation", async () => {
  const { page } = await browser.open("#/chapter/why-distributed-systems-are-hard");
  const section = page.locator("section.challenge", { has: page.locator("#challenge-vector-clocks") });
  await section.scrollIntoViewIfNeeded();
  await section.locator(".editor[data-editor=rich] .cm-content").waitFor({ timeout: 30_000 });
  await section.getByRole("button", { name: /^Check on \d+ seeds$/ }).click();
  await section.locator(".check-report, .check-problem").waitFor({ timeout: 60_000 });
  assert.ok(await section.locator(".verdict-fail").count() >= 1, "the starter fails");
  assert.deepEqual(await violations(page), []);
  await page.close();
});

test("search, open with results, has no serious or critical accessibility violation", async () => {
  const { page, problems } = await browser.open("#/");
  await page.locator("main h1").first().waitFor();
  await page.keyboard.press("/");
  await page.getByRole("combobox", { name: "Search the course" }).fill("quorum");
  await page.locator(".search-results li").first().waitFor();
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(problems, []);
  await page.close();
});

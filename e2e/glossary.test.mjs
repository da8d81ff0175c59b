// The course glossary: every chapter's terms on one page, filtered as you type, each linked to
// the section that teaches it; a term's first use in a chapter links to its entry.
import { test } from "node:test";
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import { shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();

test("the glossary lists the chapters' terms, filters them and links to where each is taught", async () => {
  const { page, problems } = await browser.open("#/");
  await page.keyboard.press("g");
  await page.locator(".glossary-entry").first().waitFor();
  const total = await page.locator(".glossary-entry").count();
  assert.ok(total >= 80, `${total} terms`);
  assert.match(await page.locator(".glossary .lede").textContent(), new RegExp(`The ${total} terms`));

  // Chapter 1 owns "Fencing token"; chapter 3 refines it and says so.
  const fencing = page.locator("#term-fencing-token");
  assert.match(await fencing.locator(".taught a").first().textContent(), /^Chapter 1,/);
  assert.match(await fencing.locator(".also").textContent(), /Chapter 3,/);

  await page.getByRole("searchbox").fill("vector clock");
  await page.waitForFunction(() => document.querySelectorAll(".glossary-entry:not(.hidden)").length < 6);
  const shown = await page.locator(".glossary-entry:not(.hidden) dt").allTextContents();
  assert.ok(shown.includes("Vector clock"), shown.join(", "));
  assert.match(await page.locator(".glossary-tools [role=status]").textContent(), /^\d+ terms?$/);
  await shot(page, "glossary-filtered");

  const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "best-practice"]).analyze();
  const serious = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
  assert.deepEqual(serious, []);

  // The "taught in" link opens the chapter at that section.
  await page.locator("#term-vector-clock .taught a").click();
  await page.locator("article.chapter h1").waitFor();
  assert.match(page.url(), /#\/chapter\/why-distributed-systems-are-hard\/[a-z-]+$/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a term's first use in a chapter links to its glossary entry, which is scrolled to and marked", async () => {
  const { page, problems } = await browser.open("#/chapter/consensus");
  const link = page.locator(".prose a.term", { hasText: /^election restriction$/i }).first();
  await link.waitFor();
  assert.equal(await page.locator('.prose a.term[href="#/glossary/election-restriction"]').count(), 1, "only the first use");
  await link.click();
  const entry = page.locator("#term-election-restriction");
  await entry.waitFor();
  assert.match(await entry.getAttribute("class"), /current/);
  await page.waitForFunction(() => {
    const r = document.querySelector("#term-election-restriction").getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight;
  });
  await shot(page, "glossary-term");
  assert.deepEqual(problems, []);
  await page.close();
});

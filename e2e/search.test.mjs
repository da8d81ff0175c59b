// Search: `/` and Ctrl+K open it; results as you type with their place and a snippet; the
// keyboard chooses and opens one; it finds sections, challenges and glossary terms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();

test("search opens with / and Ctrl+K, narrows as you type and opens a section with the keyboard", async () => {
  const { page, problems } = await browser.open("#/");
  await page.locator("main h1").first().waitFor();
  await page.keyboard.press("/");
  const dialog = page.getByRole("dialog", { name: "Search the course" });
  await dialog.waitFor();
  const input = dialog.getByRole("combobox");
  await page.waitForFunction(() => document.activeElement?.classList.contains("search-input"));
  await input.pressSequentially("read index");
  const results = dialog.locator(".search-results [role=option]");
  await results.first().waitFor();
  const all = await results.allInnerTexts();
  assert.match(all[0], /ReadIndex/, "the term's definition comes first");
  assert.ok(all.some((t) => /^Chapter 7 · .*\nLinearizable reads/s.test(t)), all.join("\n---\n"));
  assert.match(await dialog.locator(".search-status").textContent(), /results?/);
  await shot(page, "search-read-index");
  // Down then up again, and Enter opens the first.
  await page.keyboard.press("ArrowDown");
  assert.equal(await results.nth(1).getAttribute("aria-selected"), "true");
  await page.keyboard.press("ArrowUp");
  assert.equal(await results.first().getAttribute("aria-selected"), "true");
  const href = await results.first().getAttribute("href");
  await page.keyboard.press("Enter");
  await page.waitForFunction((h) => location.hash === h, href);
  assert.equal(await dialog.count(), 0, "opening a result closes search");

  // Ctrl+K from a chapter; a glossary term and a challenge are found too; Esc closes.
  await page.keyboard.press("Control+k");
  await dialog.waitFor();
  await dialog.getByRole("combobox").fill("vector clock");
  await results.first().waitFor();
  const texts = await results.allInnerTexts();
  assert.ok(texts.some((t) => /Glossary/.test(t)), texts.join("\n---\n"));
  assert.ok(texts.some((t) => /Challenge:/.test(t)), texts.join("\n---\n"));
  await dialog.getByRole("combobox").fill("zzzqqq");
  await page.waitForFunction(() => /Nothing matches/.test(document.querySelector(".search-status")?.textContent ?? ""));
  await page.keyboard.press("Escape");
  assert.equal(await dialog.count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});

// The history view on chapter 2: examples checked at build time are drawn with their verdicts,
// a pasted history is checked in the worker (verdict, or the line at fault), and the page stays
// responsive.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, shot } from "./lib.mjs";

const browser = useBrowser();
const CHAPTER = "#/chapter/consistency-models/checking-a-history-for-linearizability";

async function openHistory() {
  const { page, problems } = await browser.open(CHAPTER);
  const figure = page.locator("figure.history");
  await figure.waitFor();
  await figure.scrollIntoViewIfNeeded();
  return { page, problems, figure };
}

test("examples show their verdicts, the order found and the operation that cannot be placed", async () => {
  const { page, problems, figure } = await openHistory();
  // The first example is a stale read: not linearizable, one stuck operation, described.
  await assert.doesNotReject(page.locator("figure.history.is-bad").waitFor());
  assert.equal(await figure.locator(".history-op.stuck").count(), 1);
  assert.match(await figure.locator(".history-detail").innerText(), /cannot be placed after state 2: it needs 1/);
  await shot(page, "history-stale-read", { fullPage: false });
  // A linearizable example: every bar numbered, one path through them.
  await figure.locator("select").first().selectOption({ label: "overlapping writes" });
  await page.locator("figure.history.is-ok").waitFor();
  assert.equal(await figure.locator(".history-op.stuck").count(), 0);
  assert.equal(await figure.locator(".history-path circle").count(), await figure.locator(".history-op").count());
  // Focusing a bar describes it, states before and after included.
  await figure.locator(".history-op").nth(2).focus();
  assert.match(await figure.locator(".history-detail").innerText(), /placed \d in the order: state .* → /);
  // A real etcd history: zoom changes the drawing's width.
  await figure.locator("select").first().selectOption({ label: "etcd 000" });
  await page.locator("figure.history.is-bad").waitFor();
  const width = async () => Number(await figure.locator("svg.history-svg").getAttribute("width"));
  const before = await width();
  await figure.getByRole("button", { name: "Zoom in" }).click();
  assert.ok((await width()) > before, "zoom in widens the drawing");
  await shot(page, "history-etcd-000");
  // The kv history offers a key filter, set to the failing key.
  await figure.locator("select").first().selectOption({ label: "kv c01 bad" });
  await page.locator("figure.history.is-bad").waitFor();
  const key = figure.locator("select").nth(1);
  assert.notEqual(await key.inputValue(), "");
  await shot(page, "history-kv");
  assert.deepEqual(problems, []);
});

test("a pasted history is checked in the worker; a malformed one names its line", async () => {
  const { page, problems, figure } = await openHistory();
  await figure.getByRole("button", { name: "Paste your own…" }).click();
  const text = figure.locator("textarea");
  await text.fill([
    '{"client": 0, "type": "invoke", "f": "write", "value": 5}',
    '{"client": 0, "type": "ok", "f": "write", "value": 5}',
    '{"client": 1, "type": "invoke", "f": "read"}',
    '{"client": 1, "type": "ok", "f": "read", "value": 5}',
  ].join("\n"));
  await text.press("Control+Enter");
  await page.locator("figure.history.is-ok").waitFor({ timeout: 15000 });
  assert.equal(await figure.locator(".history-op").count(), 2);
  // Broken input: the message names the line; the last good drawing stays.
  await text.fill('{"client": 0, "type": "invoke", "f": "write", "value": 5}\n{"client": 0, "type": "ok", "f": "nope"}');
  await figure.getByRole("button", { name: "Check this history" }).click();
  const error = figure.locator(".history-error");
  await error.waitFor({ timeout: 15000 });
  assert.match(await error.innerText(), /^line 2: /);
  // The page kept answering while the worker ran, and the text survives a reload.
  assert.equal(await page.evaluate(() => 1 + 1), 2);
  await page.reload();
  await page.locator("figure.history").getByRole("button", { name: "Paste your own…" }).click();
  assert.match(await page.locator("figure.history textarea").inputValue(), /"nope"/);
  await shot(page, "history-paste-error");
  assert.deepEqual(problems, []);
});

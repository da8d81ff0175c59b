// Runs the engine's in-browser benchmarks (#/bench) in headless Chromium and prints the table.
// Used by `./x bench` after the native benchmarks; not a test (it asserts nothing about time).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8080/";
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
  await page.getByRole("button", { name: "Run the benchmarks" }).click();
  await page.waitForSelector("tr[data-metric=check-verdict]", { timeout: 120_000 });
  const rows = await page.$$eval("tr[data-metric]", (trs) =>
    trs.map((tr) => [tr.querySelector("th").textContent, tr.querySelector("td").textContent]));
  const version = await context.browser()?.version() ?? "Chromium";
  console.log(`in the browser (${version}, wasm):`);
  for (const [label, value] of rows) console.log(`  ${label.padEnd(66)} ${value}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

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
  await page.getByRole("button", { name: "Run the benchmarks" }).click();
  await page.waitForSelector("tr[data-metric=check-verdict]", { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelector("[role=status]")?.textContent === "Done.",
    null, { timeout: 300_000 });
  const rows = await page.$$eval("tr[data-metric]", (trs) =>
    trs.map((tr) => [tr.querySelector("th").textContent, tr.querySelector("td").textContent]));
  const version = await context.browser()?.version() ?? "Chromium";
  console.log(`in the browser (${version}, wasm):`);
  for (const [label, value] of rows) console.log(`  ${label.padEnd(66)} ${value}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

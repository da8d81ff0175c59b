// The live simulation view, driven like a learner would: step, rewind, crash, partition, share.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, chapterSim, shot, useBrowser } from "./lib.mjs";

const browser = useBrowser();
const CHAPTER_1 = "#/chapter/why-distributed-systems-are-hard";

async function logLines(sim) {
  return sim.locator(".log-line").allTextContents();
}

async function firstSim(page) {
  return chapterSim(page);
}

test("stepping forward and back changes the event log and the clock", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const sim = await firstSim(page);
  const step = sim.getByRole("button", { name: "Step forward" });
  for (let i = 0; i < 8; i++) await step.click();
  const after8 = await logLines(sim);
  assert.match(await sim.locator(".sim-clock").textContent(), /^step 8 /);
  await sim.getByRole("button", { name: "Step back" }).click();
  assert.match(await sim.locator(".sim-clock").textContent(), /^step 7 /);
  const after7 = await logLines(sim);
  assert.ok(after7.length < after8.length, "stepping back removes the last event from the log");
  assert.deepEqual(after7, after8.slice(0, after7.length), "the past is the same past");
  await sim.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForTimeout(600);
  await sim.getByRole("button", { name: "Pause", exact: true }).click();
  const played = await logLines(sim);
  assert.ok(played.length > after7.length, "playing runs events");
  // A long line wraps under itself rather than being cut off at the log's edge.
  const cut = await sim.locator(".log-scroller").evaluate((el) => {
    const line = el.querySelector(".log-line");
    return { wrap: getComputedStyle(line).whiteSpace, overflow: el.scrollWidth - el.clientWidth };
  });
  assert.equal(cut.wrap, "pre-wrap");
  assert.ok(cut.overflow <= 1, `the log has no hidden overflow (${cut.overflow}px)`);
  await shot(page, "sim-retry-lossy");
  await sim.screenshot({ path: `${process.env.ARTIFACTS ?? "../artifacts"}/screenshots/sim-retry-lossy-figure.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test("a click selects a node without a fault; the inspector's button crashes and restarts it", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const sim = await firstSim(page);
  const before = await logLines(sim);
  const node = sim.locator(".sim-cluster .node").nth(1);
  await node.click();
  assert.equal(await node.getAttribute("aria-pressed"), "true", "the clicked node is selected");
  assert.match(await sim.locator(".sim-inspector h4").first().innerText(), /^Node n1/);
  assert.equal(await sim.locator(".sim-cluster .node.down").count(), 0, "selecting crashes nothing");
  assert.deepEqual(await logLines(sim), before, "selecting adds nothing to the run");
  await sim.locator(".node-actions").getByRole("button", { name: "Crash" }).click();
  await page.waitForFunction(() => document.querySelector("figure.sim .sim-cluster .node.down") !== null);
  const log = await logLines(sim);
  assert.match(log.at(-1), /n1\s+crash/, `last log line: ${log.at(-1)}`);
  await shot(page, "sim-crashed");
  await sim.locator(".node-actions").getByRole("button", { name: "Restart" }).click();
  assert.equal(await sim.locator(".sim-cluster .node.down").count(), 0, "Restart brings it back");
  assert.deepEqual(problems, []);
  await page.close();
});

test("faults by keyboard alone: Tab to a node, C crashes it, Enter on a link cuts it", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const sim = await firstSim(page);
  await sim.locator(".sim-cluster .node").nth(2).focus();
  assert.match(await sim.locator(".sim-inspector h4").first().innerText(), /^Node n2/, "focus selects");
  await page.keyboard.press("c");
  await page.waitForFunction(() => document.querySelector("figure.sim .sim-cluster .node.down") !== null);
  assert.match((await logLines(sim)).at(-1), /n2\s+crash/);
  await page.keyboard.press("c");
  assert.equal(await sim.locator(".sim-cluster .node.down").count(), 0, "C again restarts it");
  await page.keyboard.press("p");
  assert.equal(await sim.locator(".sim-cluster .node.paused").count(), 1, "P pauses it");
  await page.keyboard.press("p");
  assert.equal(await sim.locator(".sim-cluster .node.paused").count(), 0, "P again resumes it");
  const link = sim.locator(".sim-cluster .link").first();
  await link.focus();
  await page.keyboard.press("Enter");
  assert.equal(await sim.locator(".sim-cluster .link.cut").count(), 1, "Enter on a link cuts it");
  await shot(page, "sim-keyboard-focus");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a cut link stops messages across it", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const sim = await firstSim(page);
  // The first link joins n0 and n1.
  await sim.locator(".sim-cluster .link").first().click({ force: true });
  assert.equal(await sim.locator(".sim-cluster .link.cut").count(), 1);
  const before = (await logLines(sim)).length;
  const step = sim.getByRole("button", { name: "Step forward" });
  for (let i = 0; i < 40; i++) await step.click();
  const lines = (await logLines(sim)).slice(before);
  const across = lines.filter((l) => /n0\s+recv .* from n1|n1\s+recv .* from n0/.test(l));
  assert.deepEqual(across, [], "no message crosses the cut link");
  assert.ok(lines.some((l) => /recv .* from n2|n2\s+recv/.test(l)), "messages on other links still arrive");
  await shot(page, "sim-partitioned");
  // Cut a second link, then repair the first: only that one heals.
  await sim.locator(".sim-cluster .link").nth(1).click({ force: true });
  assert.equal(await sim.locator(".sim-cluster .link.cut").count(), 2);
  await sim.locator(".sim-cluster .link").first().click({ force: true });
  assert.equal(await sim.locator(".sim-cluster .link.cut").count(), 1, "clicking a cut link repairs that link alone");
  assert.match((await logLines(sim)).at(-1), /mend n1->n0|mend n0->n1/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a shared link reproduces the same event log", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const sim = await firstSim(page);
  const step = sim.getByRole("button", { name: "Step forward" });
  for (let i = 0; i < 5; i++) await step.click();
  await sim.locator(".sim-cluster .node").nth(2).click();
  await sim.locator(".node-actions").getByRole("button", { name: "Crash" }).click();
  for (let i = 0; i < 10; i++) await step.click();
  const original = await logLines(sim);
  await sim.getByRole("button", { name: "Copy link" }).click();
  const url = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(url, /#\/sim\/\d+\/1~retry-lossy~3~/);
  const { page: shared, problems: sharedProblems } = await browser.open(url.slice(url.indexOf("#")));
  await shared.waitForSelector("figure.sim");
  assert.deepEqual(await logLines(shared.locator("figure.sim")), original);
  await shot(shared, "sim-shared");
  assert.deepEqual([...problems, ...sharedProblems], []);
  await page.close();
  await shared.close();
});

test("a malformed shared link shows a message and the default run", async () => {
  const { page, problems } = await browser.open("#/sim/4/1~no-such-scenario~3");
  await page.waitForSelector(".shared-sim [role=alert]");
  assert.match(await page.locator(".shared-sim [role=alert]").textContent(), /could not be opened/);
  assert.equal(await page.locator("figure.sim").count(), 1);
  await shot(page, "sim-bad-link");
  assert.equal(await page.locator(".shared-sim-back a").textContent(), "← All chapters");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a mistyped shared link says so and opens the run it meant, with a way back to its chapter", async () => {
  // The default run's token with one letter too many in the id.
  const { page, problems } = await browser.open("#/sim/4/1~retry-lossyy~3~t0R1.inc~t5R2.add5~t60R1.inc~t80R2.inc~t150R1.add2~t200R2.inc");
  await page.waitForSelector(".shared-sim [role=alert]");
  assert.match(await page.locator(".shared-sim [role=alert]").textContent(), /“retry-lossyy”.*most likely means “retry-lossy”/);
  assert.equal(await page.locator("figure.sim").getAttribute("data-scenario"), "retry-lossy");
  assert.match(await page.locator(".sim-clock").textContent(), /^step 4 /, "at the link's step");
  const back = page.locator(".shared-sim-back a");
  assert.match(await back.textContent(), /^← Chapter 1: /);
  await back.click();
  await page.waitForURL(/#\/chapter\/why-distributed-systems-are-hard/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("the space-time diagram follows the log and shows causality on click", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const sim = await firstSim(page);
  const step = sim.getByRole("button", { name: "Step forward" });
  for (let i = 0; i < 20; i++) await step.click();
  const dots = sim.locator(".sim-spacetime circle");
  const atNode = (lines) => lines.filter((l) => /^t=\s*\d+\s+n\d+\s/.test(l)).length;
  const lines = await logLines(sim);
  assert.equal(await dots.count(), atNode(lines), "one dot per event-log line that happens at a node");
  assert.ok(await sim.locator(".sim-spacetime .st-message").count() > 0, "messages are drawn as arrows");
  await dots.last().click();
  assert.equal(await sim.locator(".sim-spacetime .chosen").count(), 1);
  assert.ok(await sim.locator(".sim-spacetime .past").count() > 0, "the last event has a causal past");
  assert.match(await sim.locator(".st-legend").textContent(), /happened before it/);
  // The keyboard does the same: ↑ chooses the event before, Esc clears the choice.
  const chosenTitle = () => sim.locator(".sim-spacetime .chosen title").textContent();
  const lastTitle = await chosenTitle();
  const clock = await sim.locator(".sim-clock").textContent();
  await sim.locator(".sim-spacetime svg").focus();
  await page.keyboard.press("ArrowUp");
  assert.equal(await sim.locator(".sim-spacetime .chosen").count(), 1);
  assert.notEqual(await chosenTitle(), lastTitle, "ArrowUp moved the choice to an earlier event");
  assert.equal(await sim.locator(".sim-clock").textContent(), clock, "the arrow did not step the simulation");
  await page.keyboard.press("ArrowDown");
  assert.equal(await chosenTitle(), lastTitle, "ArrowDown moved it back");
  await page.keyboard.press("Escape");
  assert.equal(await sim.locator(".sim-spacetime .chosen").count(), 0, "Escape cleared the choice");
  await dots.last().click();
  await sim.locator(".sim-spacetime").screenshot({ path: `${process.env.ARTIFACTS ?? "../artifacts"}/screenshots/sim-spacetime.png` });
  await sim.getByRole("button", { name: "Step back" }).click();
  assert.equal(await dots.count(), atNode(await logLines(sim)), "the diagram follows the timeline back");
  assert.ok(await dots.count() < atNode(lines), "stepping back removed events from the diagram");
  assert.deepEqual(problems, []);
  await page.close();
});

/** Chapter 4's election run, 80 steps in (a leader of term 1 exists by then). */
async function raftElection() {
  const { page, problems } = await browser.open("#/chapter/consensus/leader-election");
  const sim = await chapterSim(page, "raft-election");
  await sim.focus();
  for (let i = 0; i < 80; i++) await page.keyboard.press("ArrowRight");
  return { page, problems, sim };
}

test("a Raft run shows every server's log; crashing the leader elects another in a higher term", async () => {
  const { page, problems, sim } = await raftElection();
  const rows = sim.locator(".panel-grid tbody tr");
  assert.equal(await rows.count(), 5, "one row per server");
  const leaderRow = sim.locator(".panel-grid tbody tr", { hasText: "leader" });
  assert.equal(await leaderRow.count(), 1, "one leader after the first election");
  const label = await leaderRow.locator("th").innerText();
  const [, node, term] = label.match(/^(n\d+) leader · term (\d+)/);
  assert.ok(await leaderRow.locator("td.marked").count() >= 1, "the leader's no-op is committed");
  // Select the leader in the cluster drawing: its nextIndex/matchIndex show, nothing crashes.
  await sim.locator(".sim-cluster .node").nth(Number(node.slice(1))).click();
  assert.match(await sim.locator(".sim-inspector").innerText(), /nextIndex/);
  assert.equal(await sim.locator(".sim-cluster .node.down").count(), 0);
  // Crash it from the inspector, then run on.
  await sim.locator(".node-actions").getByRole("button", { name: "Crash" }).click();
  await sim.focus();
  for (let i = 0; i < 400; i++) await page.keyboard.press("ArrowRight");
  const leaders = await sim.locator(".panel-grid tbody tr", { hasText: "leader" }).locator("th").allInnerTexts();
  assert.equal(leaders.length, 1, `one new leader: ${leaders}`);
  const [, newNode, newTerm] = leaders[0].match(/^(n\d+) leader · term (\d+)/);
  assert.notEqual(newNode, node);
  assert.ok(Number(newTerm) > Number(term), "the new leader's term is higher");
  assert.match(await sim.locator(".panel-grid tbody tr.down th").innerText(), new RegExp(`^${node} down`));
  await sim.locator(".sim-panels").screenshot({ path: `${process.env.ARTIFACTS ?? "../artifacts"}/screenshots/raft-grid-after-crash.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test("drawing a line across links partitions the cluster; timers drain around the nodes", async () => {
  const { page, problems, sim } = await raftElection();
  assert.ok(await sim.locator(".sim-cluster .node-timer").count() >= 4, "a timer ring around each live node");
  const svg = sim.locator(".sim-cluster");
  // The drawing's frame depends on its width; read it and the nodes' places from the page.
  const [, , vw, vh] = (await svg.getAttribute("viewBox")).split(" ").map(Number);
  const node = async (i) => {
    const shape = sim.locator(".sim-cluster .node").nth(i).locator(".node-shape");
    return { x: Number(await shape.getAttribute("cx")), y: Number(await shape.getAttribute("cy")), r: Number(await shape.getAttribute("r")) };
  };
  // A stroke just under n0 (at the top), from beyond its link to n4 to beyond its link to n1:
  // it crosses all four of n0's links and no other.
  const [n0, n1, n4] = [await node(0), await node(1), await node(4)];
  const y = n0.y + n0.r + 8;
  const crossing = (a) => n0.x + ((a.x - n0.x) * (y - n0.y)) / (a.y - n0.y);
  // Measured last, right before the stroke, so that nothing moves the drawing in between.
  await svg.scrollIntoViewIfNeeded();
  // Simulations mounting elsewhere on the page may still move it: wait until it stays put.
  let box = await svg.boundingBox();
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(250);
    const again = await svg.boundingBox();
    if (again.y === box.y && again.x === box.x) break;
    box = again;
  }
  const scale = Math.min(box.width / vw, box.height / vh);
  const at = (x, y) => [box.x + (box.width - vw * scale) / 2 + x * scale, box.y + (box.height - vh * scale) / 2 + y * scale];
  const [x0, y0] = at(crossing(n4) - 15, y);
  const [x1, y1] = at(crossing(n1) + 15, y);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(x0 + ((x1 - x0) * i) / 10, y0 + ((y1 - y0) * i) / 10);
  await shot(page, "sim-knife-drawing");
  await page.mouse.up();
  assert.equal(await sim.locator(".sim-cluster .link.cut").count(), 4, "n0's four links are cut");
  assert.match((await logLines(sim)).join("\n"), /partition/i, "the partition is in the log");
  await shot(page, "sim-knife-partition");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a client request and a clock change made by hand enter the run and its log", async () => {
  const { page, problems, sim } = await raftElection();
  const request = sim.locator(".node-form input[type=text]");
  assert.match(await request.getAttribute("placeholder"), /^e\.g\. put\./);
  await request.fill("put.z.9");
  await sim.getByRole("button", { name: "Send" }).click();
  assert.match((await logLines(sim)).join("\n"), /n0\s+request\s+put\.z\.9|put\.z\.9/);
  const clock = sim.locator(".clock-form");
  await clock.getByLabel("Skew (ticks)").fill("500");
  await clock.getByLabel("Drift (ppm)").fill("20000");
  await clock.getByRole("button", { name: "Set clock" }).click();
  const before = Number(await sim.locator(".fields dt:text-is('local clock') + dd").textContent());
  await sim.focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
  const time = Number((await sim.locator(".sim-clock").textContent()).match(/t = (\d+)/)[1]);
  const local = Number(await sim.locator(".fields dt:text-is('local clock') + dd").textContent());
  assert.ok(local >= time + 500, `n0's clock runs ahead by the skew: local ${local}, true ${time}, before ${before}`);
  await sim.locator(".sim-inspector").screenshot({ path: `${process.env.ARTIFACTS ?? "../artifacts"}/screenshots/sim-inspector-forms.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test("the traffic chart counts the log window's messages and follows the timeline", async () => {
  const { page, problems } = await browser.open(CHAPTER_1);
  const sim = await firstSim(page);
  const canvas = sim.locator(".sim-chart canvas");
  const counts = async () => (await canvas.getAttribute("aria-label")).match(/(\d+) sent, (\d+) delivered, (\d+) lost/).slice(1).map(Number);
  await sim.focus();
  for (let i = 0; i < 60; i++) await page.keyboard.press("ArrowRight");
  const [sent, delivered] = await counts();
  assert.ok(sent > 0 && delivered > 0, `messages were sent and delivered: ${sent}, ${delivered}`);
  const sentLines = (await logLines(sim)).filter((l) => /\ssend\s/.test(l)).length;
  assert.ok(sent >= sentLines, "every send in the log is counted");
  for (let i = 0; i < 30; i++) await page.keyboard.press("ArrowLeft");
  assert.ok((await counts())[0] < sent, "stepping back removes sends from the chart");
  assert.deepEqual(problems, []);
  await page.close();
});

test("no request leaves the site's own origin", () => {
  assert.ok(browser.ownRequests.length > 0, "this file's tests loaded pages");
  assert.deepEqual(browser.foreignRequests, []);
});

test("a chapter mounts only the simulations near the viewport, and one brought back resumes where it was", async () => {
  const { page, problems } = await browser.open("#/chapter/consensus");
  const mounts = page.locator(".sim-mount.lazy");
  await mounts.first().waitFor({ state: "attached" });
  const total = await mounts.count();
  assert.equal(total, 8, "chapter 4 embeds eight simulations");
  const first = await chapterSim(page, "paxos-basic");
  assert.ok(await page.locator("figure.sim").count() < total, "simulations far below are not mounted");
  await first.focus();
  for (let i = 0; i < 12; i++) await page.keyboard.press("ArrowRight");
  const at = await first.locator(".sim-clock").textContent();
  const height = await page.locator('.sim-mount[data-scenario="paxos-basic"]').evaluate((e) => e.offsetHeight);
  // Far down the page the first one unmounts and keeps its room, so nothing below it moves.
  await chapterSim(page, "raft-figure8");
  await page.waitForFunction(() => !document.querySelector('.sim-mount[data-scenario="paxos-basic"] figure.sim'));
  const kept = await page.locator('.sim-mount[data-scenario="paxos-basic"]').evaluate((e) => e.offsetHeight);
  assert.ok(Math.abs(kept - height) <= 2, `the placeholder keeps the height (${kept} vs ${height})`);
  assert.ok(await page.locator("figure.sim").count() <= 4, "only the simulations near the viewport exist");
  const back = await chapterSim(page, "paxos-basic");
  assert.equal(await back.locator(".sim-clock").textContent(), at, "it comes back at the same step");
  assert.deepEqual(problems, []);
  await page.close();
});

test("the drawing makes the leader unmistakable and tells message kinds apart, with a legend", async () => {
  const { page, problems, sim } = await raftElection();
  const leader = sim.locator(".sim-cluster .node.lead");
  assert.equal(await leader.count(), 1, "one node is drawn as the leader");
  assert.match(await leader.getAttribute("aria-label"), /^n\d leader T\d+, up\./, "its name gives role and term");
  assert.equal(await leader.locator(".node-halo").count(), 1, "a halo marks it");
  const follower = sim.locator(".sim-cluster .node.peer").first();
  const size = async (n) => Number(await n.locator(".node-shape").getAttribute("r"));
  assert.ok(await size(leader) > await size(follower), "the leader is larger than a follower");
  assert.match((await sim.locator(".sim-cluster .node-badge").first().textContent()).trim(), /^T\d+$/, "terms are drawn on the nodes");
  const legend = sim.locator(".sim-legend");
  assert.deepEqual(await legend.locator(".legend-kinds li[title]").allTextContents(), ["RequestVote", "VoteReply", "AppendEntries", "AppendReply", "Forward"]);
  assert.ok((await legend.locator(".legend-roles li").allTextContents()).includes("leader"));
  // Messages in flight carry their kind's colour class, replies drawn hollow.
  await sim.focus();
  let kinds = [];
  for (let i = 0; i < 60 && !kinds.some((c) => /reply/.test(c)); i++) {
    await page.keyboard.press("ArrowRight");
    kinds = await sim.locator(".sim-cluster .message").evaluateAll((ms) => ms.map((m) => m.getAttribute("class")));
  }
  assert.ok(kinds.length > 0 && kinds.every((c) => /\bkind-\d\b/.test(c)), `every message has a kind: ${kinds}`);
  assert.ok(kinds.some((c) => /\breply\b/.test(c)), "a reply is in flight at some step");
  await sim.locator(".sim-drawing").screenshot({ path: `${process.env.ARTIFACTS ?? "../artifacts"}/screenshots/sim-drawing-raft.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test("a scenario's own parts come first; the rest are folded behind More and mount only when opened", async () => {
  const { page, problems } = await browser.open("#/chapter/why-distributed-systems-are-hard");
  // Causality is read off the space-time diagram: it comes before the cluster.
  const causality = await chapterSim(page, "causality");
  const order = await causality.evaluate((f) => {
    const st = f.querySelector(".sim-spacetime"), cl = f.querySelector(".sim-cluster");
    return st && cl ? st.compareDocumentPosition(cl) & Node.DOCUMENT_POSITION_FOLLOWING : 0;
  });
  assert.ok(order, "the space-time diagram precedes the cluster");
  const more = causality.locator(".sim-more-parts");
  assert.match(await more.locator("summary").textContent(), /^More: .*network/);
  assert.equal(await causality.locator(".sim-network").count(), 0, "a folded part is not in the page");
  await more.locator("summary").click();
  await causality.locator(".sim-network").waitFor();
  await more.locator("summary").click();
  await causality.locator(".sim-network").waitFor({ state: "detached" });
  assert.deepEqual(problems, []);
  await page.close();
});

test("on a phone the controls are one row of touch-sized buttons and the description folds", async () => {
  const { page, problems } = await browser.open("#/chapter/consensus/leader-election", { viewport: { width: 390, height: 844 } });
  const sim = await chapterSim(page, "raft-election");
  const buttons = sim.locator(".sim-controls .button");
  // (Present full screen is for a projector: a phone does not offer it.)
  const boxes = await buttons.evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect())
    .filter((r) => r.height > 0).map((r) => ({ top: r.top, height: r.height, right: r.right })));
  assert.ok(boxes.length >= 5);
  assert.ok(boxes.every((b) => Math.abs(b.top - boxes[0].top) < 2), `one row: ${JSON.stringify(boxes)}`);
  assert.ok(boxes.every((b) => b.height >= 40), "touch-sized");
  assert.ok(boxes.every((b) => b.right <= 390), "all on screen");
  assert.equal(await sim.getByRole("button", { name: "Play", exact: true }).count(), 1, "named for screen readers");
  const about = sim.getByRole("button", { name: "More about this simulation" });
  const description = sim.locator(".sim-description");
  const folded = (await description.boundingBox()).height;
  await about.click();
  assert.equal(await sim.locator(".sim-more").getAttribute("aria-expanded"), "true");
  assert.ok((await description.boundingBox()).height > folded * 1.5, "opening shows the whole description");
  assert.equal((await sim.locator(".sim-cluster").getAttribute("viewBox")).split(" ")[2], "360", "the narrow frame");
  await sim.screenshot({ path: `${process.env.ARTIFACTS ?? "../artifacts"}/screenshots/sim-phone-raft.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test("on a wide screen a chapter's simulation takes the content cell, wider than the prose", async () => {
  const { page, problems } = await browser.open(CHAPTER_1, { viewport: { width: 1280, height: 860 } });
  const sim = await chapterSim(page, "retry-lossy");
  const widths = await page.evaluate(() => ({
    prose: document.querySelector(".chapter .prose").getBoundingClientRect().width,
    mount: document.querySelector(".chapter > .sim-mount[data-scenario=retry-lossy]").getBoundingClientRect().width,
    right: document.querySelector(".chapter > .sim-mount[data-scenario=retry-lossy]").getBoundingClientRect().right,
    page: document.documentElement.clientWidth,
  }));
  assert.ok(widths.mount > widths.prose + 60, `the simulation is wider than the prose: ${JSON.stringify(widths)}`);
  assert.ok(widths.right <= widths.page, "and stays on the page");
  assert.ok(await sim.isVisible());
  assert.deepEqual(problems, []);
  await page.close();
});

// End-to-end test of the real desktop window: the built debug binary, in WebKitGTK, driven
// through tauri-driver + WebKitWebDriver, on a fresh ledger file. Needs an X display: run it
// through scripts/e2e.sh (which starts it under Xvfb) or `make e2e`.
//
// Environment:
//   E2E_APP              the desktop binary (default: <target>/debug/partner-ledger-desktop)
//   TAURI_DRIVER         tauri-driver (default: ~/.cargo/bin/tauri-driver, else on PATH)
//   E2E_SCREENSHOT_DIR   where screenshots go (default: /tmp)
//   E2E_CLI, E2E_WIX_SIM the CLI and the Wix simulator (default: <target>/debug/partner-ledger, wix-sim)
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { By, Key, until } from "selenium-webdriver";
import { WAIT, bins, byTestId, here, openWindow, startWixSim, steps, windowHelpers } from "./driver.mjs";

const { app, cli, wixSim: wixSimBin } = bins;
const shots = process.env.E2E_SCREENSHOT_DIR || "/tmp";
// The simulator's default app id and secret.
const APP_ID = "9a1b2c3d-0000-4000-8000-00000000a001";
const APP_SECRET = "sim-app-secret";
const MONTH = "2026-10";
const goodCsv = path.join(here, "fixtures", "stripe_itemized_small.csv");
const badCsv = path.join(here, "fixtures", "stripe_itemized_bad_amount.csv");
// A PayPal download of September: a payment received, a payment the account sent (never
// revenue) and money received under a type the importer does not know (an exception).
const paypalCsv = path.join(here, "fixtures", "paypal_unknown_type.csv");
const SEPTEMBER = "2026-09";
// A generated month of 100,000 events (July 2026), for the window's paged tables.
const BIG_MONTH = "2026-07";
const BIG_EVENTS = 100_000;

/** A Stripe itemized export of `n` charges in July 2026 over 2,000 instances (amounts in cents,
 * never floats). */
function bigExport(file, n) {
  const header = readFileSync(goodCsv, "utf8").split("\n")[0];
  const two = (v) => String(v).padStart(2, "0");
  const money = (c) => `${Math.floor(c / 100)}.${two(c % 100)}`;
  const out = [header];
  for (let i = 0; i < n; i++) {
    const day = 1 + (i % 31);
    const s = (i * 7) % 86_400;
    const at = `2026-07-${two(day)} ${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
    const inst = i % 2000;
    const guid = `${(0x10000000 + inst * 7919).toString(16).slice(-8)}-0000-4000-8000-${inst.toString(16).padStart(12, "0")}`;
    const gross = 1000 + (i % 90) * 100 + (i % 7);
    const fee = 30 + (i % 50);
    const id = String(i).padStart(8, "0");
    out.push(
      `"po_BIG","2026-08-09 20:00:00","txn_BIG${id}","${at}","${at}","2026-08-01 00:00:00","2026-08-01 00:00:00","usd",` +
        `"${money(gross)}","${money(fee)}","${money(gross - fee)}","charge","ch_BIG${id}","Pro plan - monthly","${money(gross)}","usd",` +
        `"cus_BIG${id}","ch_BIG${id}","pi_BIG${id}","in_BIG${id}","${guid}",""`,
    );
  }
  writeFileSync(file, out.join("\n") + "\n");
}
let driver;
let driverProc;
let simProc;
let simUrl;
let driverLog;
let tmp;
let dbFile;
let ui;

const screenshot = (name) => ui.screenshot(path.join(shots, `partner-ledger-e2e-${name}.png`));
const visible = (locator) => ui.visible(locator);
const openTab = (id) => ui.openTab(id);
const dd = (root, css) => ui.dd(root, css);
const countsOf = (root) => ui.countsOf(root);

/** Runs the CLI on the test's ledger file; returns its stdout (JSON with --json). */
function runCli(args) {
  return execFileSync(cli, ["--db", dbFile, "--by", "e2e", ...args], { encoding: "utf8", timeout: 60_000 });
}

/**
 * Types a path into the path field and presses Enter (the keyboard route): the file joins the
 * import set and is previewed. Resolves to its preview card once the preview is done.
 */
async function previewPath(file) {
  const name = path.basename(file);
  const field = await visible(byTestId("import-path"));
  await field.clear();
  await field.sendKeys(file, Key.ENTER);
  const card = await visible(By.css(`[data-testid="import-preview-file"][data-file="${name}"]`));
  // The preview is done when the Import button is offered.
  await visible(byTestId("import-commit"));
  return card;
}

/**
 * Previews a file, then imports it with "Import 1 file" (a refused file is left in its preview:
 * its card is returned, and the set is cancelled). Resolves to the import's result.
 */
async function importPath(file) {
  const card = await previewPath(file);
  if (!(await (await driver.findElement(byTestId("import-commit"))).isEnabled())) {
    const text = await card.getText();
    const rows = [];
    for (const tr of await card.findElements(By.css("table.rejected tbody tr"))) rows.push(await tr.findElements(By.css("td")));
    await (await driver.findElement(byTestId("import-cancel"))).click();
    return { text, rows };
  }
  const previous = await driver.findElements(byTestId("import-result"));
  await (await driver.findElement(byTestId("import-commit"))).click();
  if (previous.length > 0) await driver.wait(until.stalenessOf(previous[0]), WAIT);
  return driver.wait(async () => {
    const results = await driver.findElements(byTestId("import-result"));
    if (results.length === 0) return false;
    const text = await results[0].getText();
    return text.includes(path.basename(file)) ? results[0] : false;
  }, WAIT, `no import result for ${file}`);
}

async function rowCells(id) {
  const row = await visible(byTestId(`batch-row-${id}`));
  const cell = async (col) => (await row.findElement(By.css(`td[data-col="${col}"]`)).getText()).trim();
  return {
    row,
    // textContent: WebKitWebDriver leaves out the text of a cell cut with an ellipsis.
    text: await row.getAttribute("textContent"),
    rows_read: await cell("rows_read"),
    imported: await cell("imported"),
    duplicates: await cell("duplicates"),
    skipped: await cell("skipped"),
    undone: await cell("undone"),
  };
}

// The steps share one window and build on each other: after a failure, the rest are skipped
// (and a screenshot of the window at the failure is saved).
const { step, failed } = steps(it, async () => {
  if (driver) await screenshot("failure");
});

describe("Partner Ledger desktop window", { timeout: 900_000 }, () => {
  before(async () => {
    assert.ok(existsSync(app), `the desktop binary is missing: ${app} (build it: make desktop)`);
    assert.ok(existsSync(cli), `the CLI binary is missing: ${cli} (cargo build -p partner-ledger)`);
    assert.ok(existsSync(wixSimBin), `the Wix simulator is missing: ${wixSimBin} (cargo build -p pl-wix-sim)`);
    tmp = mkdtempSync(path.join(os.tmpdir(), "pl-e2e-"));
    dbFile = path.join(tmp, "ledger.sqlite");
    // What the operator sets up with the CLI before the month review: the app and a rate (no
    // batch, so the window still starts on the empty state).
    runCli(["app", "set", "--id", APP_ID, "--name", "E2E Forms"]);
    runCli(["rates", "add", "--from", "2020-01-01", "--percent", "20"]);
    // The desktop user's configuration folder, with the operator's name already given (else the
    // window asks for it first).
    const configDir = path.join(tmp, "config");
    mkdirSync(configDir);
    writeFileSync(path.join(configDir, "operator.txt"), "E2E Operator\n");
    const sim = await startWixSim();
    simProc = sim.proc;
    simUrl = sim.url;
    driverLog = path.join(tmp, "tauri-driver.log");
    ({ driver, proc: driverProc } = await openWindow({
      env: {
        ...process.env,
        // Inherited by WebKitWebDriver and then by the app.
        PARTNER_LEDGER_DB: dbFile,
        PARTNER_LEDGER_CONFIG_DIR: configDir,
        // The submission goes to the simulator, with its secret, from the environment.
        WIX_API_BASE: simUrl,
        WIX_APP_SECRET: APP_SECRET,
      },
      logFile: driverLog,
    }));
    ui = windowHelpers(driver);
  });

  after(async () => {
    try {
      if (driver) await driver.quit();
    } finally {
      if (driverProc && driverProc.exitCode === null) driverProc.kill("SIGTERM");
      if (simProc && simProc.exitCode === null) simProc.kill("SIGTERM");
      if (failed() && driverLog) console.log(`# tauri-driver and app output:\n${readFileSync(driverLog, "utf8")}`);
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  });

  step("starts on the fresh ledger named by PARTNER_LEDGER_DB, with the empty state", async () => {
    const empty = await visible(byTestId("batches-empty"));
    assert.match(await empty.getText(), /No imports yet — import a Stripe or PayPal export/);
    const header = await driver.findElement(By.css(".db-path")).getText();
    assert.ok(header.includes(dbFile), `header shows ${header}`);
    assert.ok(existsSync(dbFile), "the app uses the ledger at PARTNER_LEDGER_DB");
    assert.equal(await driver.getTitle(), "Partner Ledger");
    await screenshot("1-empty");
  });

  step("runs under the strict CSP and least-privilege capabilities", async () => {
    // The IPC call the window needs works; commands the capabilities do not grant are refused.
    const call = (cmd, args = {}) =>
      driver.executeAsyncScript(
        `const done = arguments[arguments.length - 1];
         window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
           .then((v) => done({ ok: true, v }), (e) => done({ ok: false, e: String(e) }));`,
        cmd,
        args,
      );
    assert.deepEqual(await call("ledger_info"), { ok: true, v: dbFile });
    // (The save dialog is granted: the exports are saved through it.)
    for (const cmd of ["plugin:dialog|message", "plugin:window|close", "plugin:fs|read_file"]) {
      const r = await call(cmd, { options: {}, path: "/etc/passwd" });
      assert.equal(r.ok, false, `${cmd} must be refused`);
      assert.match(r.e, /not allowed/, `${cmd}: ${r.e}`);
    }
    // connect-src allows only the IPC: any other request is a CSP violation (it never leaves).
    const violation = await driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      document.addEventListener("securitypolicyviolation", (e) => done(e.violatedDirective), { once: true });
      fetch("http://127.0.0.1:9/").catch(() => {});
      setTimeout(() => done(null), 5000);`);
    assert.match(String(violation), /connect-src/);
  });

  step("refuses a file with a bad row and lists it in its preview, importing nothing", async () => {
    const card = await previewPath(badCsv);
    assert.match(await card.getText(), /Refused: 1 row needs fixing; the file is left out/);
    const rows = await card.findElements(By.css("table.rejected tbody tr"));
    assert.ok(rows.length >= 1, "at least one rejected row");
    const first = await rows[0].findElements(By.css("td"));
    assert.equal(await first[0].getText(), "3", "the bad row is line 3");
    assert.equal(await (await driver.findElement(byTestId("import-commit"))).isEnabled(), false, "nothing to import");
    await screenshot("2-refused");
    await (await driver.findElement(byTestId("import-cancel"))).click();
    assert.equal((await driver.findElements(byTestId("batches-empty"))).length, 1);
  });

  step("previews a file without importing it, then cancels", async () => {
    const card = await previewPath(goodCsv);
    assert.match(await card.getText(), /3 new rows to import/);
    assert.equal((await countsOf(card))["Rows read"], "3");
    assert.equal((await driver.findElements(byTestId("batches-empty"))).length, 1);
    await (await driver.findElement(byTestId("import-cancel"))).click();
    await driver.wait(async () => (await driver.findElements(byTestId("import-preview"))).length === 0, WAIT, "the preview stayed");
  });

  step("imports a Stripe export typed into the path field and shows the new batch", async () => {
    const result = await importPath(goodCsv);
    assert.match(await result.getText(), /Imported as batch \d+\./);
    assert.deepEqual(await countsOf(result), { "Rows read": "3", Imported: "3", Duplicates: "0", Sent: "0", Unclassified: "0", Skipped: "0" });

    await visible(byTestId("batches-table"));
    const rows = await driver.findElements(By.css('[data-testid="batches-table"] tbody tr'));
    assert.equal(rows.length, 1);
    const id = await rows[0].getAttribute("data-batch-id");
    const b = await rowCells(id);
    assert.ok(b.text.includes("stripe_itemized_small.csv"), b.text);
    assert.ok(b.text.includes("stripe-itemized"), b.text);
    assert.deepEqual(
      [b.rows_read, b.imported, b.duplicates, b.skipped, b.undone],
      ["3", "3", "0", "0", "—"],
    );
    await screenshot("3-imported");
  });

  step("adds nothing when the same file is imported again", async () => {
    const result = await importPath(goodCsv);
    assert.match(await result.getText(), /Nothing new/);
    assert.deepEqual(await countsOf(result), { "Rows read": "3", Imported: "0", Duplicates: "3", Sent: "0", Unclassified: "0", Skipped: "0" });
    const rows = await driver.findElements(By.css('[data-testid="batches-table"] tbody tr'));
    assert.equal(rows.length, 1);
  });

  step("undoes the batch after a confirmation", async () => {
    const row = await visible(By.css('[data-testid="batches-table"] tbody tr'));
    const id = await row.getAttribute("data-batch-id");
    await row.findElement(By.css(`button[aria-label="Undo batch ${id}"]`)).click();
    const confirm = await visible(By.xpath(`//button[normalize-space()="Yes, undo"]`));
    await confirm.click();
    await driver.wait(async () => (await rowCells(id)).undone !== "—", WAIT, "the batch never showed as undone");
    const status = await driver.findElement(By.css('[role="status"].message')).getText();
    assert.match(status, new RegExp(`Batch ${id} .* was undone`));
    await screenshot("4-undone");
  });
  step("re-imports the file for the month review", async () => {
    const result = await importPath(goodCsv);
    assert.match(await result.getText(), /Imported as batch \d+\./);
    assert.equal((await countsOf(result)).Imported, "3");
  });

  step("reviews the month: exception-free, with the engine's totals and the instance lines", async () => {
    const panel = await openTab("month");
    const status = await visible(byTestId("month-status"));
    await driver.wait(async () => (await status.getText()).toLowerCase() === "open", WAIT, "the month never showed as open");
    const picker = await panel.findElement(byTestId("month-picker"));
    assert.equal(await picker.getAttribute("value"), MONTH);
    await visible(byTestId("no-exceptions"));

    // The window shows exactly what the engine computes (the CLI's report of the same file).
    const expected = JSON.parse(runCli(["report", "--month", MONTH, "--json"]));
    const totals = await panel.findElement(byTestId("month-totals"));
    assert.deepEqual(
      {
        events: await dd(totals, '[data-col="events"]'),
        gross: await dd(totals, '[data-col="gross"]'),
        expenses: await dd(totals, '[data-col="expenses"]'),
        net: await dd(totals, '[data-col="net"]'),
        wix_share: await dd(totals, '[data-col="wix_share"]'),
      },
      { ...expected.totals, events: String(expected.totals.events) },
    );
    assert.equal(expected.totals.gross, "99.00");
    const rows = await panel.findElements(By.css('[data-testid="instances-table"] tbody tr'));
    assert.equal(rows.length, expected.instances.length);
    assert.equal((await panel.findElements(By.css('[data-testid="share-chart"] rect'))).length, expected.instances.length);
    const approve = await panel.findElement(byTestId("approve"));
    assert.equal(await approve.isEnabled(), true, "Approve is enabled for an exception-free month");
    await screenshot("5-month-open");
  });

  step("approves the month and shows its new status", async () => {
    const panel = await visible(By.css("#panel-month"));
    await (await panel.findElement(byTestId("approve"))).click();
    const notice = await visible(byTestId("month-notice"));
    assert.match(await notice.getText(), new RegExp(`${MONTH} approved: its 3 events are frozen and queued for Wix`));
    const status = await visible(byTestId("month-status"));
    await driver.wait(async () => (await status.getText()).toLowerCase() === "approved", WAIT, "the status never changed");
    const picker = await panel.findElement(byTestId("month-picker"));
    await driver.wait(
      async () => (await picker.findElement(By.css("option:checked")).getText()).includes("approved"),
      WAIT,
      "the month picker never showed the approval",
    );
    await visible(byTestId("reopen"));
    const months = JSON.parse(runCli(["report", "--month", MONTH, "--json"]));
    assert.equal(months.status, "approved", "the engine has the month approved");
    await screenshot("6-month-approved");
  });

  step("shows the queued events and submits them to Wix (the simulator) with progress", async () => {
    const panel = await openTab("submission");
    const counts = await visible(byTestId("state-counts"));
    await driver.wait(async () => (await dd(counts, '[data-state="queued"]')) === "3", WAIT, "3 events never showed as queued");
    const rows = await panel.findElements(By.css('[data-testid="queue-table"] tbody tr'));
    assert.equal(rows.length, 3);
    for (const r of rows) assert.equal(await r.getAttribute("data-state"), "queued");
    await screenshot("7-submission-queued");

    await (await panel.findElement(byTestId("submit"))).click();
    await (await visible(byTestId("submit-confirm"))).click();
    const result = await visible(byTestId("submit-result"));
    assert.match(await result.getText(), new RegExp(`Run finished: ${MONTH} is submitted\\. 3 sent, 0 rejected, 0 uncertain, 0 queued`));
    await driver.wait(async () => (await dd(counts, '[data-state="sent"]')) === "3", WAIT, "3 events never showed as sent");
    const states = await panel.findElements(By.css('[data-testid="queue-table"] tbody tr[data-state="sent"]'));
    assert.equal(states.length, 3);
    await screenshot("8-submitted");
  });

  step("keeps a payment sent out of the month and classifies an unknown type from its exception", async () => {
    await openTab("imports");
    const result = await importPath(paypalCsv);
    assert.deepEqual(await countsOf(result), { "Rows read": "3", Imported: "1", Duplicates: "0", Sent: "1", Unclassified: "1", Skipped: "0" });

    const panel = await openTab("month");
    const picker = await panel.findElement(byTestId("month-picker"));
    await driver.wait(async () => (await picker.findElements(By.css(`option[value="${SEPTEMBER}"]`))).length === 1, WAIT, "September never listed");
    await (await picker.findElement(By.css(`option[value="${SEPTEMBER}"]`))).click();
    const row = await visible(byTestId("exception-row"));
    const text = await row.getText();
    assert.match(text, /General Payment/);
    assert.doesNotMatch(text, /partner-ledger/, "the window speaks of its own controls");
    const approve = await panel.findElement(byTestId("approve"));
    assert.equal(await approve.isEnabled(), false, "an unclassified type blocks approval");
    await screenshot("9-unclassified-type");

    await (await row.findElement(By.xpath('.//button[normalize-space()="Classify as charge"]'))).click();
    await visible(byTestId("no-exceptions"));
    // The window shows the engine's month: the payment and the classified one, not the one sent.
    const expected = JSON.parse(runCli(["report", "--month", SEPTEMBER, "--json"]));
    assert.equal(expected.totals.events, 2);
    assert.equal(expected.totals.gross, "69.00");
    const totals = await panel.findElement(byTestId("month-totals"));
    await driver.wait(async () => (await dd(totals, '[data-col="gross"]')) === expected.totals.gross, WAIT, "the totals never showed the classified charge");
    assert.equal(await dd(totals, '[data-col="events"]'), "2");
    const audit = runCli(["audit", "list", "--json"]);
    assert.match(audit, /General Payment/, "the classification is in the audit log");
    await screenshot("10-classified");
  });

  step("opens a month of 100,000 events and scrolls its event table", async () => {
    const big = path.join(tmp, "stripe_july_100k.csv");
    bigExport(big, BIG_EVENTS);
    runCli(["import", big]);
    const expected = JSON.parse(
      execFileSync(cli, ["--db", dbFile, "--json", "report", "--month", BIG_MONTH], { encoding: "utf8", timeout: 120_000, maxBuffer: 1 << 30 }),
    );
    assert.equal(expected.totals.events, BIG_EVENTS);

    // The months are read again when the view is shown.
    await openTab("imports");
    const panel = await openTab("month");
    const picker = await panel.findElement(byTestId("month-picker"));
    await driver.wait(async () => (await picker.findElements(By.css(`option[value="${BIG_MONTH}"]`))).length === 1, WAIT, "July never listed");
    const started = Date.now();
    await (await picker.findElement(By.css(`option[value="${BIG_MONTH}"]`))).click();
    const table = await visible(byTestId("events-table"));
    const row = (i) => By.css(`[data-testid="events-table"] tbody tr[data-index="${i}"]:not([data-loading])`);
    await driver.wait(until.elementLocated(row(0)), 60_000, "the first events never showed");
    const firstRows = Date.now() - started;
    console.log(`# time to the first event rows of a ${BIG_EVENTS}-event month: ${firstRows} ms`);
    const count = await visible(byTestId("events-table-count"));
    assert.match(await count.getText(), /100,000 events/);
    const totals = await panel.findElement(byTestId("month-totals"));
    assert.equal(await totals.findElement(By.css('[data-col="gross"] dd')).getAttribute("data-value"), expected.totals.gross);
    // Only the rows in view are in the page: far fewer than the month's events.
    const drawn = await driver.findElements(By.css('[data-testid="events-table"] tbody tr'));
    assert.ok(drawn.length > 5 && drawn.length < 200, `${drawn.length} rows drawn`);

    // Scroll to the middle, then to the end: each time the rows there are the engine's.
    for (const at of [BIG_EVENTS / 2, BIG_EVENTS - 1]) {
      await driver.executeScript("arguments[0].scrollTop = arguments[1];", table, at * 32);
      const r = await driver.wait(until.elementLocated(row(at)), 60_000, `row ${at} never showed`);
      assert.equal(await r.getAttribute("data-event"), expected.events[at].id, `row ${at}`);
    }
    await driver.executeScript("arguments[0].scrollIntoView({ block: 'end' });", table);
    await screenshot("11-100k-events-scrolled");
  });
});

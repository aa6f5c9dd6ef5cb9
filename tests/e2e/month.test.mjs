// A whole month in the real desktop window (issue 12), from an empty ledger and without the
// command line: the operator's name, the app, its rates and the time zone, the Wix address and
// app secret (saved in the OS keyring; the simulator's), two exports imported through their
// preview, an unknown type classified, an instance assigned, a manual refund (and a second one
// deleted from its line), the approval, a submission to the Wix simulator with one event
// rejected and one uncertain, both resolved and sent, the Wix report exported through the save
// flow, the audit log; a screenshot of each view.
// Only at the end does the command line run, to export the same ledger: the two CSV files must
// be the same bytes.
//
// The keyring. The window saves the app secret in the OS keyring: on Linux the kernel's session
// keyring. The test starts the app in a session keyring of its own (`keyctl session`, keyutils),
// so it works where the test runs without a desktop login and never touches the user's; the
// secret is saved under an app id made for the run, and removed from the window at the end.
//
// Run through scripts/e2e.sh (Xvfb). Environment (besides driver.mjs's):
//   E2E_SCREENSHOT_DIR    where the screenshots go (default: /tmp)
//   E2E_DOCS_SCREENSHOTS  1: also write the guide's pictures to docs/screenshots/
//
// The save dialog. It is the system's (GTK) dialog, which WebDriver cannot drive. The window
// asks for it through Tauri's IPC, which the page's own objects cannot be made to answer
// differently (`__TAURI_INTERNALS__.invoke`, `.ipc` and `.postMessage` are defined read-only and
// not configurable), so the test answers it one level lower: it wraps `window.fetch`, the IPC's
// transport on Linux, and answers the one command `plugin:dialog|save` with a path in the test's
// folder, as a person choosing that file would. Every other call, the export itself included,
// goes to the app unchanged; no seam is built into the app.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { By, Key, until } from "selenium-webdriver";
import { WAIT, bins, byTestId, here, openWindow, repo, startWixSim, steps, windowHelpers } from "./driver.mjs";

const shots = process.env.E2E_SCREENSHOT_DIR || "/tmp";
const docsShots = process.env.E2E_DOCS_SCREENSHOTS === "1" ? path.join(repo, "docs", "screenshots") : null;

const OPERATOR = "Dana Finance";
const APP_NAME = "E2E Forms";
// The simulator's app secret (its default); the app id is new for each run.
const APP_SECRET = "sim-app-secret";
const APP_ID = randomUUID();
const TIMEZONE = "America/New_York";
const MONTH = "2026-10";
const stripeCsv = path.join(here, "fixtures", "month_stripe_october.csv");
const paypalCsv = path.join(here, "fixtures", "month_paypal_october.csv");
// The instances of the fixtures. A: its charge is rejected by Wix once. B: its charge's answer
// is lost (uncertain). C: a large charge, a PayPal payment, a manual refund, and a rate of its
// own. D: the row without an instance is assigned to it; the row of 2026-11-01 02:30 UTC is
// October's in New York; the PayPal row of an unknown type.
const I = {
  A: "a1a1a1a1-0000-4000-8000-00000000000a",
  B: "b2b2b2b2-0000-4000-8000-00000000000b",
  C: "c3c3c3c3-0000-4000-8000-00000000000c",
  D: "d4d4d4d4-0000-4000-8000-00000000000d",
};
const UNRESOLVED = "txn_M0NTH00000000000chg00U";
const CHARGE_C = "txn_M0NTH00000000000chg00C";

let driver;
let driverProc;
let sim;
let driverLog;
let tmp;
let dbFile;
let ui;
let secretSaved = false;
const exportDir = () => path.join(tmp, "window-export");

/** A screenshot in E2E_SCREENSHOT_DIR, and, for the guide's pictures, in docs/screenshots. */
function screenshot(name, docName = null) {
  const files = [path.join(shots, `partner-ledger-month-${name}.png`)];
  if (docsShots && docName) files.push(path.join(docsShots, `${docName}.png`));
  return ui.screenshot(...files);
}

const visible = (locator) => ui.visible(locator);
/** An element by its whole text, inside the element it is looked for from. */
const byText = (tag, text) => By.xpath(`.//${tag}[normalize-space()="${text}"]`);

/** Replaces what a text field holds by `text`, typed. */
async function fill(field, text) {
  await field.clear();
  if ((await field.getAttribute("value")) !== "") {
    await field.sendKeys(Key.chord(Key.CONTROL, "a"), Key.BACK_SPACE);
  }
  await field.sendKeys(text);
  assert.equal(await field.getAttribute("value"), text, "the field holds what was typed");
}

/** The texts of a table row's cells. */
async function cells(row) {
  const out = [];
  for (const td of await row.findElements(By.css("td"))) out.push((await td.getText()).trim());
  return out;
}

/**
 * Types a date (YYYY-MM-DD) into a date field as a person would: its parts in the order the
 * window's locale shows them, with the locale's separator between them (WebKit's date field
 * is one segment per part, and the separator moves to the next one).
 */
async function fillDate(field, iso) {
  const [year, month, day] = iso.split("-");
  const parts = await driver.executeScript(
    `return new Intl.DateTimeFormat(undefined, { year: "numeric", month: "2-digit", day: "2-digit" })
       .formatToParts(new Date(2026, 9, 25)).map((p) => [p.type, p.value]);`,
  );
  const typed = parts.map(([type, value]) => ({ year, month, day })[type] ?? value).join("");
  await field.clear();
  await field.sendKeys(typed);
  assert.equal(await field.getAttribute("value"), iso, `the date field holds the date typed (${typed})`);
}

/** Brings `el` to the top of the window's view (for a screenshot of that part). */
async function scrollTo(el, block = "start") {
  await driver.executeScript(`arguments[0].scrollIntoView({ block: "${block}" });`, el);
}

/** The simulator's test interface (`/_sim/...`). */
async function simCall(route, body) {
  const res = await fetch(`${sim.url}/_sim/${route}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  assert.equal(res.status, 200, `${route}: ${res.status}`);
  return res.json();
}

/** A Month view figure's exact value (`data-value`) and its text as shown. */
async function figure(col) {
  const el = await driver.findElement(By.css(`[data-testid="month-totals"] [data-col="${col}"] dd`));
  return { value: await el.getAttribute("data-value"), text: (await el.getText()).trim() };
}

async function waitFigure(col, value) {
  await driver.wait(async () => {
    const els = await driver.findElements(By.css(`[data-testid="month-totals"] [data-col="${col}"] dd`));
    return els.length === 1 && (await els[0].getAttribute("data-value")) === value;
  }, WAIT, `the month's ${col} never showed ${value}`);
}

async function waitText(locator, re, what) {
  return driver.wait(async () => {
    const els = await driver.findElements(locator);
    for (const el of els) if (re.test(await el.getText())) return el;
    return false;
  }, WAIT, what);
}

/** The Submission view's count of events in `state`. */
async function stateCount(state) {
  return (await driver.findElement(By.css(`[data-testid="state-counts"] [data-state="${state}"] dd`)).getAttribute("data-value"));
}

async function submitQueued() {
  await (await visible(byTestId("submit"))).click();
  await (await visible(byTestId("submit-confirm"))).click();
  // A new result replaces the last one once the run is over.
  return driver.wait(async () => {
    const r = await driver.findElements(byTestId("submit-result"));
    const busy = await driver.findElements(byTestId("submit-progress"));
    return r.length === 1 && busy.length === 0 ? r[0] : false;
  }, 60_000, "the submission never finished");
}

/** The one queue row in `state`: its event id. The queue reloads its page after every change,
 * so its rows are waited for (a fixed read could fall between the old page and the new). */
async function queueRow(state) {
  const css = By.css(`[data-testid="queue-table"] tbody tr[data-state="${state}"]`);
  await driver.wait(async () => (await driver.findElements(css)).length === 1, 10_000).catch(() => {});
  const rows = await driver.findElements(css);
  assert.equal(rows.length, 1, `one ${state} event`);
  return { row: rows[0], id: (await rows[0].getAttribute("data-testid")).replace(/^outbox-row-/, "") };
}

const { step, failed } = steps(it, async () => {
  if (driver) await screenshot("failure");
});

describe("A whole month in the desktop window", { timeout: 600_000 }, () => {
  before(async () => {
    for (const [what, bin] of Object.entries(bins)) assert.ok(existsSync(bin), `${what} binary missing: ${bin} (make e2e builds it)`);
    assert.ok(
      spawnSync("keyctl", ["--version"]).status === 0,
      "keyctl is missing: the test gives the app a keyring of its own with it (apt-get install keyutils, or make deps)",
    );
    if (docsShots) mkdirSync(docsShots, { recursive: true });
    tmp = mkdtempSync(path.join(os.tmpdir(), "pl-e2e-month-"));
    dbFile = path.join(tmp, "ledger.sqlite");
    mkdirSync(exportDir());
    // An empty configuration folder: the window asks the operator's name first.
    const configDir = path.join(tmp, "config");
    mkdirSync(configDir);
    sim = await startWixSim(["--app-id", APP_ID, "--app-secret", APP_SECRET]);
    // Nothing reaches the app from the environment but its ledger and configuration folder: its
    // Wix address, app and credentials come from the window.
    const env = { ...process.env, PARTNER_LEDGER_DB: dbFile, PARTNER_LEDGER_CONFIG_DIR: configDir };
    for (const k of Object.keys(env)) if (k.startsWith("WIX_") || k === "PARTNER_LEDGER_KEYRING") delete env[k];
    driverLog = path.join(tmp, "tauri-driver.log");
    ({ driver, proc: driverProc } = await openWindow({ env, logFile: driverLog, sessionKeyring: true }));
    ui = windowHelpers(driver);
  });

  after(async () => {
    try {
      // The keyring is this user's: a secret a failed run left there is taken out again.
      if (driver && secretSaved) {
        await driver
          .executeAsyncScript(
            `const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke("remove_credential", { name: "app-secret" }).then(() => done(), () => done());`,
          )
          .catch(() => {});
      }
      if (driver) await driver.quit();
    } finally {
      if (driverProc && driverProc.exitCode === null) driverProc.kill("SIGTERM");
      if (sim && sim.proc.exitCode === null) sim.proc.kill("SIGTERM");
      if (failed() && driverLog) console.log(`# tauri-driver and app output:\n${readFileSync(driverLog, "utf8")}`);
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  });

  step("asks the operator's name at the first start", async () => {
    const dialog = await visible(byTestId("operator-dialog"));
    assert.match(await dialog.getText(), /Who is working in Partner Ledger\?/);
    await fill(await dialog.findElement(byTestId("operator-name")), OPERATOR);
    await (await dialog.findElement(byTestId("operator-save"))).click();
    await driver.wait(until.stalenessOf(dialog), WAIT, "the dialog stayed");
    const empty = await visible(byTestId("batches-empty"));
    assert.match(await empty.getText(), /No imports yet/);
    assert.ok((await driver.findElement(By.css(".db-path")).getText()).includes(dbFile));
  });

  step("sets the app and its rates in Setup, with one instance's own rate", async () => {
    await ui.openTab("setup");
    await fill(await visible(byTestId("app-id")), APP_ID);
    await fill(await visible(byTestId("app-name")), APP_NAME);
    await (await driver.findElement(byTestId("app-save"))).click();
    await waitText(By.css('#setup-panel [role="status"]'), new RegExp(`Saved: ${APP_NAME} \\(${APP_ID}\\)`), "the app was not saved");

    assert.match(await (await visible(byTestId("rates-empty"))).getText(), /No rate yet/);
    const addRate = async (from, percent, instance, rows) => {
      await fill(await visible(byTestId("rate-from")), from);
      await fill(await visible(byTestId("rate-percent")), percent);
      if (instance) await fill(await visible(byTestId("rate-instance")), instance);
      await (await driver.findElement(byTestId("rate-add"))).click();
      await driver.wait(async () => (await driver.findElements(byTestId("rate-row"))).length === rows, WAIT, `${rows} rates never listed`);
    };
    await addRate("2020-01-01", "20", null, 1);
    await addRate("2026-01-01", "10", I.C, 2);
    const rates = [];
    for (const row of await driver.findElements(byTestId("rate-row"))) rates.push(await cells(row));
    assert.deepEqual(
      rates.map((r) => r.slice(0, 3)),
      [
        ["2020-01-01", "20 %", "The app"],
        ["2026-01-01", "10 %", I.C],
      ],
    );
    assert.ok(rates.every((r) => r[3].endsWith(`by ${OPERATOR}`)), `added by the operator: ${rates}`);
    await scrollTo(await driver.findElement(By.css(".app-header")));
    await screenshot("1-setup-app-rates", "setup");
  });

  step("sets the time zone and the Wix address in Setup → Settings", async () => {
    await (await visible(byTestId("setup-tab-settings"))).click();
    const save = async (key, field, value) => {
      await fill(field, value);
      const form = await driver.findElement(By.css(`form[data-key="${key}"]`));
      await (await form.findElement(By.css('button[type="submit"]'))).click();
      await driver.wait(async () => (await form.findElements(By.css(".saved-mark"))).length === 1, WAIT, `${key} was not saved`);
      assert.equal(await field.getAttribute("value"), value);
    };
    const tz = await visible(byTestId("setting-timezone"));
    await save("timezone", tz, TIMEZONE);
    await save("wix.base_url", await visible(byTestId("setting-wix.base_url")), sim.url);
    await screenshot("2-setup-settings");
  });

  step("saves the Wix app secret in the keyring and tests the connection", async () => {
    await (await visible(byTestId("setup-tab-wix"))).click();
    const status = await visible(byTestId("credential-status-app-secret"));
    assert.equal(await status.getText(), "Not set");
    await fill(await visible(byTestId("credential-app-secret")), APP_SECRET);
    await (await driver.findElement(By.css('form[data-credential="app-secret"] button[type="submit"]'))).click();
    secretSaved = true;
    await driver.wait(async () => (await status.getText()) === "Set, in the keyring", WAIT, "the secret never showed as saved in the keyring");
    assert.equal(await (await driver.findElement(byTestId("credential-app-secret"))).getAttribute("value"), "", "the field is emptied");

    // No instance is in the ledger yet: the test signs in for one the operator names.
    await fill(await visible(byTestId("connection-instance")), I.A);
    await (await driver.findElement(byTestId("connection-test"))).click();
    const result = await visible(byTestId("connection-result"));
    const text = await result.getText();
    assert.match(text, /Wix accepted the credentials\./);
    assert.ok(text.includes(sim.url), text);
    const stats = await simCall("stats");
    assert.ok(stats.token_requests >= 1, "the test asked the simulator for a token");
    assert.equal(stats.billing_requests, 0, "a connection test reports nothing");
    await screenshot("3-setup-wix");
  });

  step("previews the month's two exports, then imports both", async () => {
    await ui.openTab("imports");
    const field = await visible(byTestId("import-path"));
    await fill(field, stripeCsv);
    await field.sendKeys(Key.ENTER);
    await visible(By.css('[data-testid="import-preview-file"][data-file="month_stripe_october.csv"]'));
    await fill(field, paypalCsv);
    await field.sendKeys(Key.ENTER);
    const commit = await waitText(byTestId("import-commit"), /^Import 2 files$/, "the two files were never ready to import");
    const card = async (name) => driver.findElement(By.css(`[data-testid="import-preview-file"][data-file="${name}"]`));
    const stripe = await card("month_stripe_october.csv");
    const paypal = await card("month_paypal_october.csv");
    assert.match(await stripe.getText(), /5 new rows to import\./);
    assert.deepEqual(await ui.countsOf(stripe), { "Rows read": "5", "Known types": "5", Duplicates: "0", Skipped: "0", Sent: "0", Unclassified: "0" });
    assert.deepEqual(await ui.countsOf(paypal), { "Rows read": "2", "Known types": "1", Duplicates: "0", Skipped: "0", Sent: "0", Unclassified: "1" });
    assert.match(await paypal.getText(), /Types not known yet.*“General Payment” × 1/s);
    // Both rows are written: the unknown type's row waits for its classification.
    assert.match(await paypal.getText(), /2 new rows to import \(1 of a type not known yet\)\./);
    assert.equal((await driver.findElements(byTestId("batches-empty"))).length, 1, "a preview writes nothing");
    await scrollTo(await driver.findElement(By.css(".app-header")));
    await screenshot("4-imports-preview", "imports");

    await commit.click();
    await driver.wait(async () => (await driver.findElements(byTestId("import-result"))).length === 2, WAIT, "no result for the two files");
    const rows = await driver.findElements(By.css('[data-testid="batches-table"] tbody tr'));
    assert.equal(rows.length, 2);
    await screenshot("5-imported");
  });

  step("shows October in New York time, with the exceptions that block its approval", async () => {
    const panel = await ui.openTab("month");
    const status = await visible(byTestId("month-status"));
    await driver.wait(async () => (await status.getText()).toLowerCase() === "open", WAIT, "October never showed as open");
    const picker = await panel.findElement(byTestId("month-picker"));
    assert.equal(await picker.getAttribute("value"), MONTH);
    assert.equal((await picker.findElements(By.css("option"))).length, 1, "one month: the row of 2026-11-01 02:30 UTC is October's in New York");
    // A, B, C, T and the PayPal payment; the unresolved row and the unknown type are exceptions.
    await waitFigure("events", "5");
    assert.deepEqual(await figure("gross"), { value: "1456.00", text: "1,456.00" });

    const exceptions = await visible(byTestId("exceptions-table"));
    const kinds = [];
    for (const row of await exceptions.findElements(byTestId("exception-row"))) kinds.push(await row.findElement(By.css("td .tag")).getText());
    assert.deepEqual(kinds.sort(), ["unclassified_type", "unresolved_instance"]);
    assert.doesNotMatch(await exceptions.getText(), /partner-ledger|--/, "the window speaks of its own controls");
    assert.equal(await (await driver.findElement(byTestId("approve"))).isEnabled(), false, "exceptions block the approval");
    assert.match(await (await driver.findElement(byTestId("approve-blocked"))).getText(), /2 exceptions need fixing/);
    await visible(byTestId("month-state"));
    await visible(byTestId("months-chart"));
    await visible(byTestId("share-chart"));
    await scrollTo(await driver.findElement(byTestId("approval")));
    await screenshot("6-month-exceptions", "exceptions");
  });

  step("classifies the unknown PayPal type as a charge, from its exception", async () => {
    const row = await waitText(byTestId("exception-row"), /General Payment/, "no exception for General Payment");
    await (await row.findElement(By.xpath('.//button[normalize-space()="Classify as charge"]'))).click();
    const notice = await waitText(byTestId("month-notice"), /General Payment/, "no notice of the classification");
    assert.match(await notice.getText(), /Rows of type “General Payment” from paypal-activity are classified as charge: 1 row now/);
    await waitFigure("events", "6");
    assert.equal((await driver.findElements(byTestId("exception-row"))).length, 1);
  });

  step("assigns the row without an instance, and maps its customer", async () => {
    await (await visible(By.css(`button[aria-label="Assign an instance to ${UNRESOLVED}"]`))).click();
    const form = await visible(By.css(`form[aria-label="Assign an instance to ${UNRESOLVED}"]`));
    const field = await form.findElement(By.css('input[name="instance"]'));
    assert.equal(await driver.executeScript("return document.activeElement === arguments[0];", field), true, "the field has the focus");
    await field.sendKeys(I.D);
    await (await form.findElement(byText("label", "Also map this customer"))).click();
    await (await form.findElement(By.css('button[type="submit"]'))).click();
    await visible(byTestId("no-exceptions"));
    assert.match(await (await visible(byTestId("month-notice"))).getText(), new RegExp(`${UNRESOLVED} assigned to ${I.D}, and its customer mapped\\.`));
    await waitFigure("events", "7");
    assert.deepEqual(await figure("gross"), { value: "1505.00", text: "1,505.00" });
  });

  step("enters a manual refund: the engine's refusal next to its field, then the refund", async () => {
    // The large charge's event id, found in the month's event lines.
    await fill(await visible(byTestId("events-search")), CHARGE_C);
    const row = await driver.wait(async () => {
      const rows = await driver.findElements(By.css('[data-testid="events-table"] tbody tr[data-event]:not([data-loading])'));
      return rows.length === 1 ? rows[0] : false;
    }, WAIT, `the event of ${CHARGE_C} never showed alone`);
    const charge = await row.getAttribute("data-event");
    assert.match(charge, /^tx-\d+$/);

    await (await visible(byTestId("open-refund"))).click();
    const form = await visible(byTestId("refund-form"));
    const input = (name) => form.findElement(By.css(`input[name="${name}"]`));
    await fill(await input("instance"), I.C);
    await fillDate(await input("date"), "2026-10-25");
    await fill(await input("amount"), "1300.00");
    await fill(await input("charge"), charge);
    await fill(await input("reason"), "Partial refund agreed with the customer, paid back by bank transfer");
    await (await driver.findElement(byTestId("refund-submit"))).click();
    const problem = await visible(byTestId("refund-error-amount"));
    assert.match(await problem.getText(), /1,?250\.00|left|more than/i);
    assert.match(await (await driver.findElement(byTestId("refund-refused"))).getText(), /one field needs attention/);
    assert.equal(await (await input("amount")).getAttribute("aria-invalid"), "true");
    await scrollTo(await driver.findElement(byTestId("month-view")));
    await screenshot("7-refund-refused", "refund");

    await fill(await input("amount"), "150.00");
    await (await driver.findElement(byTestId("refund-submit"))).click();
    await driver.wait(until.stalenessOf(form), WAIT, "the form stayed open");
    const notice = await visible(byTestId("month-notice"));
    assert.match(await notice.getText(), new RegExp(`Manual refund \\S+ added: 150\\.00 USD back to ${I.C} on 2026-10-25 \\(charge ${charge}\\)`));
    await waitFigure("events", "8");
    assert.deepEqual(await figure("gross"), { value: "1355.00", text: "1,355.00" });
  });

  step("deletes a manual refund entered by mistake, from its event line: the totals go back", async () => {
    await (await visible(byTestId("open-refund"))).click();
    const form = await visible(byTestId("refund-form"));
    const input = (name) => form.findElement(By.css(`input[name="${name}"]`));
    await fill(await input("instance"), I.A);
    await fillDate(await input("date"), "2026-10-26");
    await fill(await input("amount"), "20.00");
    await fill(await input("reason"), "Entered on the wrong site");
    await (await driver.findElement(byTestId("refund-submit"))).click();
    await driver.wait(until.stalenessOf(form), WAIT, "the form stayed open");
    const added = await waitText(byTestId("month-notice"), /Manual refund mr-\d+ added: 20\.00 USD/, "no notice of the second refund");
    const id = (await added.getText()).match(/Manual refund (mr-\d+) added/)[1];
    await waitFigure("events", "9");
    await waitFigure("gross", "1335.00");

    // Its line, found by its id; Delete… asks first and shows what goes.
    await fill(await visible(byTestId("events-search")), id);
    const row = await driver.wait(async () => {
      const rows = await driver.findElements(By.css(`[data-testid="events-table"] tbody tr[data-event="${id}"]`));
      return rows.length === 1 ? rows[0] : false;
    }, WAIT, `the line of ${id} never showed`);
    await (await row.findElement(By.css(`button[aria-label="Delete manual refund ${id}"]`))).click();
    const panel = await visible(byTestId("delete-refund"));
    await waitText(byTestId("delete-refund-reason"), /Entered on the wrong site/, "the confirmation never showed the refund's reason");
    const said = await panel.getText();
    assert.match(said, new RegExp(`Delete manual refund ${id}\\?`));
    assert.ok(said.includes(I.A) && said.includes("-20.00") && said.includes("2026-10-26"), said);
    assert.match(said, /recorded in the audit log/);
    await scrollTo(panel, "center");
    await screenshot("7b-refund-delete", "refund-delete");

    await (await panel.findElement(byTestId("delete-refund-confirm"))).click();
    const notice = await waitText(byTestId("month-notice"), new RegExp(`Manual refund ${id} deleted`), "no notice of the deletion");
    assert.match(await notice.getText(), new RegExp(`Manual refund ${id} deleted: 20\\.00 USD back to ${I.A} on 2026-10-26 no longer counts`));
    assert.equal((await driver.findElements(byTestId("delete-refund"))).length, 0, "the confirmation closed");
    // The month's summary is computed again: as it was before the second refund.
    await waitFigure("events", "8");
    assert.deepEqual(await figure("gross"), { value: "1355.00", text: "1,355.00" });
    await driver.wait(async () => (await driver.findElements(By.css(`[data-testid="events-table"] tbody tr[data-event="${id}"]`))).length === 0, WAIT, `the line of ${id} stayed`);
  });

  step("approves October: its events frozen and queued", async () => {
    const approve = await visible(byTestId("approve"));
    assert.equal(await approve.isEnabled(), true);
    await approve.click();
    const notice = await waitText(byTestId("month-notice"), /approved/, "no notice of the approval");
    assert.equal(await notice.getText(), `${MONTH} approved: its 8 events are frozen and queued for Wix.`);
    const status = await visible(byTestId("month-status"));
    await driver.wait(async () => (await status.getText()).toLowerCase() === "approved", WAIT, "the status never changed");
    const approvedBy = await (await driver.findElement(By.css(".month-report .status-line"))).getText();
    assert.match(approvedBy, new RegExp(`by ${OPERATOR}`));
    await scrollTo(await driver.findElement(byTestId("month-view")));
    await screenshot("8-month-approved", "month");
  });

  step("submits to the simulator: one event rejected, one uncertain", async () => {
    // Wix refuses A's event once, and records B's but the answer is lost.
    await simCall("faults", {
      rules: [
        { instance: I.A, times: 1, kind: "reject" },
        { instance: I.B, times: 1, kind: "drop_after_processing" },
      ],
    });
    await ui.openTab("submission");
    await driver.wait(async () => (await driver.findElements(byTestId("state-counts"))).length === 1 && (await stateCount("queued")) === "8", WAIT, "8 events never showed as queued");
    const result = await submitQueued();
    assert.match(await result.getText(), new RegExp(`Run finished: ${MONTH} is approved\\. 6 sent, 1 rejected, 1 uncertain, 0 queued \\(8 requests in this run\\)`));
    await visible(byTestId("rejected-callout"));
    await visible(byTestId("uncertain-callout"));
    const rejected = await queueRow("rejected");
    const uncertain = await queueRow("uncertain");
    // textContent: WebKitWebDriver leaves out the text of a cell cut with an ellipsis.
    assert.match(await rejected.row.getAttribute("textContent"), /rejected by the simulator/);
    assert.ok((await rejected.row.getAttribute("textContent")).includes(I.A.slice(0, 8)));
    assert.ok((await uncertain.row.getAttribute("textContent")).includes(I.B.slice(0, 8)));
    await scrollTo(await driver.findElement(byTestId("submission-view")));
    await screenshot("9-submission-rejected-uncertain", "submission");
  });

  step("resolves the uncertain event as sent and re-queues the rejected one, then sends it", async () => {
    // Wix has B's event (the simulator recorded it before the answer was lost): as the operator
    // would see in the Wix dashboard.
    const accepted = await simCall("accepted");
    assert.equal(accepted.filter((a) => a.instance_id === I.B).length, 1);
    assert.equal(accepted.filter((a) => a.instance_id === I.A).length, 0);

    const uncertain = await queueRow("uncertain");
    await (await uncertain.row.findElement(By.css(`button[aria-label="Resolve ${uncertain.id}"]`))).click();
    let panel = await visible(byTestId("resolve-panel"));
    await (await panel.findElement(byText("label", "Wix has it — mark it sent"))).click();
    await fill(await panel.findElement(By.css('input[name="reason"]')), "Seen in the Wix dashboard");
    await (await panel.findElement(byTestId("resolve-submit"))).click();
    await waitText(By.css('[data-testid="submission-view"] .message.ok'), new RegExp(`${uncertain.id} is marked sent \\(Seen in the Wix dashboard\\)`), "no notice of the resolution");

    const rejected = await queueRow("rejected");
    await (await rejected.row.findElement(By.css(`button[aria-label="Re-queue ${rejected.id}"]`))).click();
    panel = await visible(byTestId("resolve-panel"));
    assert.match(await panel.getText(), /rejected by the simulator/);
    const reason = await panel.findElement(By.css('input[name="reason"]'));
    assert.equal(await driver.executeScript("return document.activeElement === arguments[0];", reason), true, "the reason has the focus");
    await fill(reason, "Validation fixed at Wix");
    await (await panel.findElement(byTestId("resolve-submit"))).click();
    await waitText(By.css('[data-testid="submission-view"] .message.ok'), new RegExp(`${rejected.id} is queued again`), "no notice of the re-queue");
    await driver.wait(async () => (await stateCount("queued")) === "1" && (await stateCount("sent")) === "7", WAIT, "7 sent and 1 queued never showed");

    const result = await submitQueued();
    assert.match(await result.getText(), new RegExp(`Run finished: ${MONTH} is submitted\\. 8 sent, 0 rejected, 0 uncertain, 0 queued \\(1 request in this run\\)`));
    await driver.wait(async () => (await (await driver.findElement(byTestId("submission-status"))).getText()).toLowerCase() === "submitted", WAIT, "the month never showed as submitted");
    await visible(byTestId("submitted-note"));
    // Wix has each event exactly once.
    const at = await simCall("accepted");
    const per = {};
    for (const a of at) per[a.instance_id] = (per[a.instance_id] ?? 0) + 1;
    assert.deepEqual(per, { [I.A]: 1, [I.B]: 1, [I.C]: 3, [I.D]: 3 });
    await screenshot("10-submitted");
  });

  step("exports the Wix report CSV through the save dialog", async () => {
    await ui.openTab("month");
    await driver.wait(async () => (await (await visible(byTestId("month-status"))).getText()).toLowerCase() === "submitted", WAIT, "the Month view never showed the submission");
    // At a glance: every event is with Wix.
    await waitText(By.css('[data-testid="month-state"] [data-step="Sent to Wix"]'), /Sent to Wix\s+8 of 8/, "the glance never showed 8 of 8 sent");
    // The save dialog's answer: a file of the test's folder, by the name the window proposes.
    await driver.executeScript(
      `const dir = arguments[0];
       const ipcFetch = window.fetch;
       window.__e2eSaves = [];
       window.fetch = function (input, init) {
         const url = typeof input === "string" ? input : input.url;
         if (decodeURIComponent(url).endsWith("plugin:dialog|save")) {
           const options = JSON.parse(init.body).options;
           const chosen = dir + "/" + options.defaultPath;
           window.__e2eSaves.push({ options, chosen });
           return Promise.resolve(new Response(JSON.stringify(chosen), { headers: { "Tauri-Response": "ok", "Content-Type": "application/json" } }));
         }
         return ipcFetch.call(window, input, init);
       };`,
      exportDir(),
    );
    await (await visible(byTestId("export-wix"))).click();
    const done = await visible(byTestId("export-done"));
    const saves = await driver.executeScript("return window.__e2eSaves;");
    assert.equal(saves.length, 1, "the save dialog was asked once (through the IPC's fetch)");
    const name = `${APP_NAME} Billing Report - October 2026.csv`;
    assert.equal(saves[0].options.defaultPath, name, "the dialog proposes Wix's file name");
    assert.deepEqual(saves[0].options.filters, [{ name: "CSV file", extensions: ["csv"] }]);
    assert.equal(await done.getText(), `Saved ${path.join(exportDir(), name)}`);
    assert.deepEqual(readdirSync(exportDir()), [name]);
    await scrollTo(await driver.findElement(byTestId("approval")));
    await screenshot("11-exported", "exports");
  });

  step("reads the audit log: every change, by the operator named at the first start", async () => {
    await ui.openTab("audit");
    const count = await waitText(byTestId("audit-table-count"), /\d+ changes/, "the audit log never counted its changes");
    const all = await count.getText();
    assert.ok(Number(all.match(/([\d,]+) changes/)[1].replace(/,/g, "")) >= 15, all);
    const options = async (id) => {
      const out = [];
      for (const o of await driver.findElements(By.css(`[data-testid="${id}"] option`))) out.push(await o.getAttribute("value"));
      return out;
    };
    assert.deepEqual(await options("audit-who"), ["", OPERATOR], "every change is the operator's");
    const kinds = await options("audit-action");
    for (const k of ["app.set", "rate.set", "setting.set", "credentials.set", "batch.import", "classify.set", "txn.assign_instance", "customer_map.set", "manual_refund.add", "manual_refund.delete", "month.approve", "month.submit", "outbox.resolve"]) {
      assert.ok(kinds.includes(k), `${k} is in the log: ${kinds}`);
    }
    // One kind: the approval, opened whole.
    await (await driver.findElement(By.css('[data-testid="audit-action"] option[value="month.approve"]'))).click();
    const row = await driver.wait(async () => {
      const rows = await driver.findElements(By.css('[data-testid="audit-table"] tbody tr[data-index]:not([data-loading])'));
      return rows.length === 1 && (await rows[0].getText()).includes("month.approve") ? rows[0] : false;
    }, WAIT, "the approval was not the one line of its kind");
    await row.click();
    const detail = await visible(byTestId("audit-detail"));
    assert.match(await detail.getText(), new RegExp(`month\\.approve · month:${MONTH} · ${OPERATOR}`));
    await screenshot("12-audit-approval");

    // The whole log again, the approval still chosen.
    await (await driver.findElement(By.css('[data-testid="audit-action"] option[value=""]'))).click();
    await waitText(byTestId("audit-table-count"), new RegExp(`^${all}$`), "the whole log never came back");
    await driver.wait(async () => (await driver.findElements(By.css('[data-testid="audit-table"] tbody tr[aria-current="true"]'))).length === 1, WAIT, "the approval's line is not shown chosen");
    await scrollTo(await driver.findElement(By.css(".app-header")));
    await screenshot("13-audit", "audit");
  });

  step("shows the Usage view, with a plan priced in it", async () => {
    const panel = await ui.openTab("usage");
    await visible(byTestId("usage-status"));
    await fill(await visible(byTestId("plan-metric")), "emails");
    await fill(await visible(byTestId("plan-prices")), "USD=0.02");
    await fill(await panel.findElement(By.css('input[placeholder="Emails sent"]')), "Emails sent");
    await fill(await panel.findElement(By.css('form[aria-label="Set a plan price"] input[placeholder="YYYY-MM-DD"]')), "2026-10-01");
    await (await panel.findElement(byText("button", "Save price"))).click();
    const plans = await visible(byTestId("plans-table"));
    await driver.wait(async () => (await plans.findElements(By.css("tbody tr"))).length === 1, WAIT, "the plan was never listed");
    assert.deepEqual((await cells(await plans.findElement(By.css("tbody tr")))).slice(0, 4), ["emails", "Emails sent", "2026-10-01", "0.02 USD"]);
    await scrollTo(await driver.findElement(By.css(".app-header")));
    await screenshot("14-usage", "usage");
  });

  step("takes the app secret out of the keyring again", async () => {
    await ui.openTab("setup");
    await (await visible(byTestId("setup-tab-wix"))).click();
    await (await visible(By.css('button[aria-label="Remove the app secret"]'))).click();
    await (await visible(By.css('button[aria-label="Remove the app secret: confirm"]'))).click();
    const status = await visible(byTestId("credential-status-app-secret"));
    await driver.wait(async () => (await status.getText()) === "Not set", WAIT, "the secret stayed in the keyring");
    secretSaved = false;
  });

  step("the window's Wix report is byte for byte the command line's export of the same ledger", async () => {
    const cliDir = path.join(tmp, "cli-export");
    mkdirSync(cliDir);
    execFileSync(bins.cli, ["--db", dbFile, "report", "--month", MONTH, "--wix-csv", cliDir], { encoding: "utf8", timeout: 60_000 });
    const [name] = readdirSync(exportDir());
    assert.deepEqual(readdirSync(cliDir), [name], "the same file name");
    const fromWindow = readFileSync(path.join(exportDir(), name));
    const fromCli = readFileSync(path.join(cliDir, name));
    assert.ok(fromWindow.length > 0);
    assert.equal(Buffer.compare(fromWindow, fromCli), 0, `the two files differ:\n--- window\n${fromWindow}\n--- CLI\n${fromCli}`);
    // One line per event, after the header.
    assert.equal(fromWindow.toString("utf8").trimEnd().split(/\r?\n/).length, 1 + 8);
  });
});

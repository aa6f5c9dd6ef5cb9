// The window's path, measured once in the real window (`make bench`): the release desktop app
// on a ledger with a large month, driven by WebDriver under Xvfb. Prints `key=value` pairs: the
// time from opening the Month view to its first event rows, then to a later page after a
// scroll, and the peak memory of the app and of WebKit's web process.
//
//   node window_bench.mjs LEDGER MONTH
// Environment: E2E_APP (default: <target>/release/partner-ledger-desktop), TAURI_DRIVER.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Builder, By, Capabilities, until } from "selenium-webdriver";
import { freePort, tauriDriver, waitForPort } from "./driver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const [ledger, month] = process.argv.slice(2);
if (!ledger || !month) {
  console.error("usage: node window_bench.mjs LEDGER MONTH");
  process.exit(2);
}
const app = process.env.E2E_APP || path.join(repo, "target", "release", "partner-ledger-desktop");
const WAIT = 120_000;
// How often a wait looks again (selenium's default, 200 ms, would be the measure's resolution).
const POLL = 10;

/** Peak resident memory (MB) of the processes whose command name starts with `name`. */
function peakMb(name) {
  let max = 0;
  for (const pid of execFileSync("pgrep", ["-f", name], { encoding: "utf8" }).split("\n").filter(Boolean)) {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) max = Math.max(max, Math.round(Number(m[1]) / 1024));
    } catch {
      // gone
    }
  }
  return max;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), "pl-window-bench-"));
// The operator's name already given: no first-start dialog in front of the window.
const configDir = path.join(tmp, "config");
mkdirSync(configDir);
writeFileSync(path.join(configDir, "operator.txt"), "bench\n");
const log = openSync(path.join(tmp, "driver.log"), "w");
const port = await freePort();
const driverProc = spawn(tauriDriver, ["--port", String(port), "--native-port", String(await freePort())], {
  env: { ...process.env, PARTNER_LEDGER_DB: ledger, PARTNER_LEDGER_CONFIG_DIR: configDir, NO_AT_BRIDGE: "1" },
  stdio: ["ignore", log, log],
});
closeSync(log);
let driver;
try {
  await waitForPort(port, driverProc, 20_000);
  const caps = new Capabilities();
  caps.setBrowserName("wry");
  caps.set("tauri:options", { application: app });
  driver = await new Builder().withCapabilities(caps).usingServer(`http://127.0.0.1:${port}/`).build();
  const tab = await driver.wait(until.elementLocated(By.css('[data-testid="tab-month"]')), WAIT);
  const before = peakMb("partner-ledger-desktop");
  // Timed inside the page (no WebDriver round trip in the figure): from the click on the Month
  // tab to the totals, then to the first event row drawn with its data.
  const times = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const t0 = performance.now();
    window.__plIpc = [];
    let totals = null;
    const look = () => {
      if (totals === null && document.querySelector('[data-testid="month-totals"]')) totals = performance.now() - t0;
      if (document.querySelector('[data-testid="events-table"] tbody tr[data-index="0"]:not([data-loading])')) {
        obs.disconnect();
        const ipc = window.__plIpc;
        delete window.__plIpc;
        done({ totals, rows: performance.now() - t0, ipc });
      }
    };
    const obs = new MutationObserver(look);
    obs.observe(document.body, { subtree: true, childList: true, attributes: true });
    arguments[0].click();
  `, tab);
  // The engine's share: how long month_summary took in the app (the rest is IPC and drawing).
  const summary = times.ipc.filter(([c]) => c === "month_summary").map(([, a, b]) => b - a)[0] ?? -1;
  const totals = Math.round(times.totals);
  const firstRows = Math.round(times.rows);
  const picker = await driver.findElement(By.css('[data-testid="month-picker"]'));
  const shown = await picker.getAttribute("value");
  const count = await (await driver.findElement(By.css('[data-testid="events-table-count"]'))).getText();
  const table = await driver.findElement(By.css('[data-testid="events-table"]'));
  const at = 500_000;
  const scrolled = Date.now();
  await driver.executeScript("arguments[0].scrollTop = arguments[1];", table, at * 32);
  await driver.wait(until.elementLocated(By.css(`[data-testid="events-table"] tbody tr[data-index="${at}"]:not([data-loading])`)), WAIT, "the rows after the scroll never showed", POLL);
  const laterPage = Date.now() - scrolled;
  console.log(
    `month=${shown} expected_month=${month} events="${count}" summary_command_ms=${summary} totals_ms=${totals} first_rows_ms=${firstRows} later_page_ms=${laterPage} ` +
      `app_before_mb=${before} ` +
      `app_peak_mb=${peakMb("partner-ledger-desktop")} webkit_peak_mb=${peakMb("WebKitWebProcess")}`,
  );
} finally {
  if (driver) await driver.quit().catch(() => {});
  if (driverProc.exitCode === null) driverProc.kill("SIGTERM");
  rmSync(tmp, { recursive: true, force: true });
}

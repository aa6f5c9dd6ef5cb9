// What the desktop end-to-end tests and the real-window benchmark share: where the binaries and
// tauri-driver are, starting the Wix simulator and the window, and the WebDriver helpers the
// tests use on the window (find a visible element, open a tab, read counts, take a screenshot).
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Builder, By, Capabilities, until } from "selenium-webdriver";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(repo, process.env.CARGO_TARGET_DIR) : path.join(repo, "target");

/** The debug builds the tests drive (E2E_APP, E2E_CLI, E2E_WIX_SIM override them). */
export const bins = {
  app: process.env.E2E_APP || path.join(targetDir, "debug", "partner-ledger-desktop"),
  cli: process.env.E2E_CLI || path.join(targetDir, "debug", "partner-ledger"),
  wixSim: process.env.E2E_WIX_SIM || path.join(targetDir, "debug", "wix-sim"),
};

export const tauriDriver =
  process.env.TAURI_DRIVER ||
  [path.join(os.homedir(), ".cargo", "bin", "tauri-driver")].find((p) => existsSync(p)) ||
  "tauri-driver";

/** How long a step waits for the window before it fails. */
export const WAIT = 30_000;

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something listens on `port`; fails after `ms`, or when `child` has exited. */
export async function waitForPort(port, child, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port} within ${ms} ms`);
}

/** Starts the Wix simulator on a free port with `args`; resolves to `{ proc, url }`. */
export function startWixSim(args = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bins.wixSim, ["--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`wix-sim did not start: ${out}`)), 20_000);
    proc.once("error", reject);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1] });
      }
    });
  });
}

/**
 * Starts tauri-driver with `env` (inherited by WebKitWebDriver and then by the app) and opens
 * the desktop app's window through it; its output goes to `logFile`. Resolves to
 * `{ driver, proc }`.
 *
 * `sessionKeyring`: the app gets a keyring of its own, a new Linux session keyring (`keyctl
 * session`, from keyutils) that only tauri-driver and its children hold. The app saves
 * credentials in the session keyring, which a process started outside a desktop login (a
 * container, CI, a service) may not have: it then only has the user's fallback keyring, which
 * the kernel does not let it write to.
 */
export async function openWindow({ env, logFile, sessionKeyring = false }) {
  const logFd = openSync(logFile, "w");
  const port = await freePort();
  const nativePort = await freePort();
  const args = ["--port", String(port), "--native-port", String(nativePort)];
  const [cmd, argv] = sessionKeyring ? ["keyctl", ["session", "-", tauriDriver, ...args]] : [tauriDriver, args];
  const proc = spawn(cmd, argv, {
    // No accessibility bus under Xvfb. (Do not set WEBKIT_DISABLE_DMABUF_RENDERER or
    // WEBKIT_DISABLE_COMPOSITING_MODE: with either, WebKitWebDriver's screenshots hang.)
    env: { ...env, NO_AT_BRIDGE: "1" },
    // A file, not a pipe: WebKitWebDriver's session start stalls when its output is a pipe.
    stdio: ["ignore", logFd, logFd],
  });
  closeSync(logFd);
  await waitForPort(port, proc, 20_000);
  const caps = new Capabilities();
  caps.setBrowserName("wry");
  caps.set("tauri:options", { application: bins.app });
  const driver = await new Builder().withCapabilities(caps).usingServer(`http://127.0.0.1:${port}/`).build();
  return { driver, proc };
}

export const byTestId = (id) => By.css(`[data-testid="${id}"]`);

/** The helpers a test uses on one window. */
export function windowHelpers(driver) {
  async function visible(locator, ms = WAIT) {
    const el = await driver.wait(until.elementLocated(locator), ms);
    await driver.wait(until.elementIsVisible(el), ms);
    return el;
  }

  return {
    visible,

    /** Shows a view through its tab; resolves to its panel. */
    async openTab(id) {
      const tab = await visible(byTestId(`tab-${id}`));
      await tab.click();
      await driver.wait(async () => (await tab.getAttribute("aria-selected")) === "true", WAIT, `the ${id} tab was not selected`);
      return visible(By.css(`#panel-${id}`));
    },

    /** The text of a `dl.counts` entry, by its CSS selector, inside `root`. */
    async dd(root, css) {
      return (await root.findElement(By.css(`${css} dd`)).getText()).trim();
    },

    /** A `dl.counts` list as `{ label: value }`. */
    async countsOf(root) {
      const out = {};
      for (const div of await root.findElements(By.css("dl.counts > div"))) {
        out[await div.findElement(By.css("dt")).getText()] = await div.findElement(By.css("dd")).getText();
      }
      return out;
    },

    /** Saves a PNG of the window to each of `files`, once the last change is painted. */
    async screenshot(...files) {
      await driver.executeAsyncScript(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));",
      );
      let timer;
      const png = await Promise.race([
        driver.takeScreenshot(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("screenshot timed out")), 15_000))),
      ]).finally(() => clearTimeout(timer));
      for (const file of files) {
        writeFileSync(file, png, "base64");
        console.log(`# screenshot: ${file}`);
      }
    },
  };
}

/**
 * Steps that share one window and build on each other: after a failure the rest are skipped,
 * and `onFailure` runs once (a screenshot of the window as it failed).
 */
export function steps(it, onFailure) {
  let failed = null;
  return {
    failed: () => failed,
    step(name, fn) {
      it(name, async (t) => {
        if (failed) return t.skip(`an earlier step failed: ${failed}`);
        try {
          await fn();
        } catch (e) {
          failed = name;
          await onFailure().catch(() => {});
          throw e;
        }
      });
    },
  };
}

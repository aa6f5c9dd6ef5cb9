// What the desktop end-to-end test and the real-window benchmark share: where tauri-driver is,
// a free loopback port, and waiting for tauri-driver to listen on it.
import { existsSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const tauriDriver =
  process.env.TAURI_DRIVER ||
  [path.join(os.homedir(), ".cargo", "bin", "tauri-driver")].find((p) => existsSync(p)) ||
  "tauri-driver";

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

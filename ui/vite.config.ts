/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The desktop shell embeds ui/dist (see src-tauri/tauri.conf.json); there is no dev server in
// the build, and no asset is loaded from anywhere but the app itself (strict CSP).
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    // One small bundle: keep everything a plain file, never an inline data: URL.
    assetsInlineLimit: 0,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
  },
});

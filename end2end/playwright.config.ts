import { defineConfig, devices } from '@playwright/test';

// Every spec runs on a phone with JavaScript, on a phone without it, and on a desktop, in
// Debian's Chromium. The server is started by `cargo leptos end-to-end` (see README).
const chromium = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
};
const phone = { ...devices['Pixel 7'], launchOptions: chromium };

// scripts/test.sh: E2E_WORKERS workers, each against a server of its own on ports 3000, 3001, …
// (see tests/fixtures.ts); otherwise one worker against the server `cargo leptos end-to-end` starts.
export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: Number(process.env.E2E_WORKERS || 1),
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.EJIA_BASE_URL || 'http://127.0.0.1:3000',
    locale: 'zh-CN',
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'phone-js', use: { ...phone } },
    { name: 'phone-nojs', use: { ...phone, javaScriptEnabled: false } },
    { name: 'desktop-js', use: { ...devices['Desktop Chrome'], launchOptions: chromium } },
  ],
});

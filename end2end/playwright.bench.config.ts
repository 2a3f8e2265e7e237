import { defineConfig, devices } from '@playwright/test';

// Not a test: `scripts/bench.sh` runs this to time a scripted driver at human pace.
export default defineConfig({
  testDir: './bench',
  timeout: 180_000,
  workers: 1,
  reporter: [['line']],
  use: {
    ...devices['Pixel 7'],
    baseURL: process.env.EJIA_BASE_URL || 'http://127.0.0.1:3000',
    locale: 'zh-CN',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});

// The tests start with the servers: wait until each answers (`cargo leptos end-to-end` starts
// one; scripts/test.sh one per worker, on ports 3000, 3001, …).
export default async function globalSetup() {
  const workers = Number(process.env.E2E_WORKERS || 1);
  const bases = process.env.EJIA_BASE_URL ? [process.env.EJIA_BASE_URL]
    : Array.from({ length: workers }, (_, i) => `http://127.0.0.1:${3000 + i}`);
  for (const base of bases) {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        const res = await fetch(`${base}/healthz`);
        if (res.ok) break;
      } catch { /* not up yet */ }
      if (Date.now() > deadline) throw new Error(`the server at ${base} did not answer within 120 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

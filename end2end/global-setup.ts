// `cargo leptos end-to-end` starts the server and the tests together: wait until it answers.
export default async function globalSetup() {
  const base = process.env.EJIA_BASE_URL || 'http://127.0.0.1:3000';
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server at ${base} did not answer within 120 s`);
}

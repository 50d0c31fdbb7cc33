// Samples a /healthz URL every 20 ms (2 s deadline each) in a process of its own, so that the load
// generator's busy event loop does not thin out or delay the samples. Stops when stdin closes and
// prints {"samples": n, "ok": n} (ok = 200 with the marker).
const [url, marker] = process.argv.slice(2);
let running = true;
let samples = 0;
let ok = 0;
process.stdin.on('end', () => (running = false));
process.stdin.resume();
while (running) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    samples++;
    if (res.status === 200 && text.includes(marker)) ok++;
  } catch {
    samples++;
  }
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(JSON.stringify({ samples, ok }) + '\n');

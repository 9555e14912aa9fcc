/** Small helpers of the agent's shutdown and gap paths: a bounded wait, and seq lists as runs. */

/** Waits for `p` at most `ms`; a rejection or a timeout both just end the wait. */
export async function withTimeout(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!p) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** [[first, last], ...] runs of consecutive seqs, so a gap body stays small. */
export function compressRanges(seqs: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const s of [...seqs].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

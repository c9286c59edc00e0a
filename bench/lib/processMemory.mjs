import { readFileSync } from 'node:fs';

/** Resident set size of a process in bytes, read from /proc (Linux). */
export function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null; // the process has exited
  }
}

/** Samples a process's RSS on an interval; `stop()` returns the samples and the peak. */
export function sampleRss(pid, intervalMs = 200) {
  const samples = [];
  const take = () => {
    const rss = rssOf(pid);
    if (rss !== null) samples.push({ at: Date.now(), rss });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
      return { samples, peak: samples.reduce((max, s) => Math.max(max, s.rss), 0) };
    },
  };
}

import { describe, expect, it } from 'vitest';
import { splay } from './splay.js';

describe('splay', () => {
  it('sleeps random × seconds', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    expect(await splay(2, { random: () => 0.25, sleep })).toBe(500);
    expect(await splay(300, { random: () => 0.999999, sleep })).toBe(299_999);
    expect(await splay(5, { random: () => 0, sleep })).toBe(0);
    expect(await splay(0, { sleep })).toBe(0);
    expect(slept).toEqual([500, 299_999]);
  });

  it('really waits on the real clock', async () => {
    const started = performance.now();
    const ms = await splay(0.4, { random: () => 0.5 });
    const elapsed = performance.now() - started;
    expect(ms).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1500);
  });

  it('spreads over the whole window with the default random', async () => {
    const draws = await Promise.all(Array.from({ length: 200 }, () => splay(1, { sleep: async () => undefined })));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1000);
    expect(new Set(draws).size).toBeGreaterThan(100);
  });

  it('refuses a negative or non-finite window', async () => {
    await expect(splay(-1)).rejects.toThrow(/non-negative/);
    await expect(splay(Number.NaN)).rejects.toThrow(/non-negative/);
  });
});

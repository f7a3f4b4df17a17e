import type { FailureReason } from '@nsnap/shared/core';

/** Maps a filesystem error to the bundle's failure reasons. */
export function reasonOf(error: unknown): FailureReason {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'denied';
  if (code === 'ENOENT' || code === 'ESRCH') return 'vanished';
  return 'failed';
}

export function detailOf(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).slice(0, 1000);
}

/** `net:[4026531833]` → 4026531833; null for anything else. */
export function parseNsLink(target: string): number | null {
  const m = /^net:\[(\d{1,20})\]$/.exec(target);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

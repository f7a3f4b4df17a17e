import { describe, expect, it } from 'vitest';
import { counted } from './text.js';

describe('counted', () => {
  it('says "1 gap" and "0 gaps", "2 gaps", and takes an irregular plural', () => {
    expect([0, 1, 2].map((n) => counted(n, 'gap'))).toEqual(['0 gaps', '1 gap', '2 gaps']);
    expect(counted(1, 'process', 'processes')).toBe('1 process');
    expect(counted(3, 'process', 'processes')).toBe('3 processes');
  });
});

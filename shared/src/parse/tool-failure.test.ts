import { describe, expect, it } from 'vitest';
import { failureReasonOfText } from './tool-failure.js';

describe('failureReasonOfText', () => {
  it('reads the reason from what the tools print', () => {
    expect(failureReasonOfText("nsenter: reassociate to namespace 'ns/net' failed: Operation not permitted\n")).toBe('denied');
    expect(failureReasonOfText('ls: cannot read symbolic link /proc/1/ns/net: Permission denied\n')).toBe('denied');
    expect(failureReasonOfText('nsenter: cannot open /proc/4242/ns/net: No such file or directory\n')).toBe('vanished');
    expect(failureReasonOfText('bash: ip: command not found\n')).toBe('missing-command');
    expect(failureReasonOfText('Option "-j" is unknown, try "ip -help".\n')).toBe('unsupported');
    expect(failureReasonOfText('Command failed -:2\n')).toBe('failed');
  });
});

/**
 * Commands for a person to paste into a shell, built from names a host
 * captured (untrusted: root in any container picks them). A word is printed
 * bare when it is plainly safe, else in POSIX single quotes (`'` as `'\''`),
 * where no character but `'` means anything to sh, bash, dash or zsh. A word
 * that cannot be shown as exactly itself is refused, with the reason: bytes
 * that are not UTF-8 (a terminal prints something else, and the copy is
 * another name), control, bidi and invisible characters (the line on the
 * screen is not the command that runs).
 */
export type ShellWord = { text: string } | { refused: string };

const BARE = /^[A-Za-z0-9_.:@%+=,/-]+$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const INVISIBLE = /[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]/;
/** A lone surrogate: how UTF-8b (`shared/bytes.ts`) carries a byte that is not UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function shellWord(word: string): ShellWord {
  if (word === '') return { refused: 'it is empty' };
  if (LONE_SURROGATE.test(word)) return { refused: 'it holds bytes that are not UTF-8, which a terminal cannot show as they are' };
  if (CONTROL.test(word)) return { refused: 'it holds control characters (a newline, an escape…), which a pasted command cannot carry safely' };
  if (INVISIBLE.test(word)) return { refused: 'it holds invisible or bidirectional-control characters: the command on screen would not be the one that runs' };
  if (BARE.test(word)) return { text: word };
  return { text: `'${word.replace(/'/g, `'\\''`)}'` };
}

/** The words of a command joined for a shell, or the first refusal with the word's role (`role` names it for the reason). */
export function shellCommand(argv: readonly string[], roles: Readonly<Record<number, string>> = {}): ShellWord {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const w = shellWord(argv[i] as string);
    if ('refused' in w) return { refused: `${roles[i] ?? `word ${i + 1}`}: ${w.refused}` };
    words.push(w.text);
  }
  return { text: words.join(' ') };
}

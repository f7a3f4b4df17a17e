// A diff's changes as one line of text: the diff list and the timeline's bars say them so.

/** A diff's changes in a line: a list by what it gained and lost (a pod's 24 containers are not repeated), a value as from → to. */
export const changeText = (changes: Record<string, { from: unknown; to: unknown }>) =>
  Object.entries(changes)
    .map(([f, c]) => {
      if (!Array.isArray(c.from) || !Array.isArray(c.to)) return `${f} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`;
      const before = new Set(c.from.map((x) => JSON.stringify(x)));
      const after = new Set(c.to.map((x) => JSON.stringify(x)));
      const gained = [...after].filter((x) => !before.has(x));
      const lost = [...before].filter((x) => !after.has(x));
      return `${f}${gained.length > 0 ? ` +${gained.join(' +')}` : ''}${lost.length > 0 ? ` -${lost.join(' -')}` : ''}`;
    })
    .join('; ');

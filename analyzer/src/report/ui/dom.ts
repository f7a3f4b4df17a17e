// Every text of the data reaches the page through these: as textContent, never as markup.

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className !== undefined) e.className = className;
  return e;
}

/** A definition list from label/value pairs; empty values are left out. */
export function facts(rows: [string, string | number | null | undefined][]): HTMLDListElement {
  const dl = el('dl');
  for (const [k, v] of rows) {
    if (v === null || v === undefined || v === '') continue;
    dl.append(el('dt', k), el('dd', String(v)));
  }
  return dl;
}

export function clear(e: Element): void {
  while (e.firstChild) e.removeChild(e.firstChild);
}

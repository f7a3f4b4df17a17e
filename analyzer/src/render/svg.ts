import { instance } from '@viz-js/viz';

/**
 * The SVG frontend: DOT (render/dot.ts, which escapes every name for DOT) drawn by Graphviz compiled
 * to WebAssembly, so no `dot` binary is needed. Graphviz writes label and tooltip text into the SVG
 * with `<`, `>`, `"` and `&` as entities. Loaded only by `graph --format svg`: the 1.2 MB module
 * is bundled apart (analyzer/build.mjs).
 */
export async function renderSvg(dot: string): Promise<string> {
  const viz = await instance();
  const result = viz.render(dot, { format: 'svg' });
  if (result.status !== 'success') throw new Error(`Graphviz could not draw the graph: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.output;
}

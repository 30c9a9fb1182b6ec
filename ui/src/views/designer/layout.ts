// Auto-layout with dagre: left to right by dependency, as data flows.
import dagre from "@dagrejs/dagre";

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 84;

/** Positions (top-left corners) for `nodes` laid out along `edges`. */
export function layout(
  nodes: { id: string }[],
  edges: { source: string; target: string }[],
): Map<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 36, ranksep: 72, marginx: 24, marginy: 24 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of edges) if (graph.hasNode(edge.source) && graph.hasNode(edge.target)) graph.setEdge(edge.source, edge.target);
  dagre.layout(graph);
  const positions = new Map<string, { x: number; y: number }>();
  for (const node of nodes) {
    const at = graph.node(node.id);
    positions.set(node.id, { x: at.x - NODE_WIDTH / 2, y: at.y - NODE_HEIGHT / 2 });
  }
  return positions;
}

type Box = { x: number; y: number; width: number; height: number };

/** Where a box of `size` wanted at `at` goes so that it covers none of
 * `taken`: `at` itself when free, else the nearest free place found below
 * it, then to its right. */
export function freeSpot(taken: Box[], at: { x: number; y: number }, size: { width: number; height: number }) {
  const gap = 16;
  const hits = (x: number, y: number) =>
    taken.some((b) => x < b.x + b.width + gap && b.x < x + size.width + gap && y < b.y + b.height + gap && b.y < y + size.height + gap);
  for (let column = 0; column < 8; column++) {
    for (let row = 0; row < 8; row++) {
      const x = at.x + column * (size.width + gap);
      const y = at.y + row * (size.height + gap);
      if (!hits(x, y)) return { x, y };
    }
  }
  return at;
}

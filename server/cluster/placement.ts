// Where a camera should be ingested: on a media node of its region if one can take it, else on
// any media node; among those, the least loaded for its capacity (ties by id, so every node
// that runs this on the same view of the cluster picks the same node). Draining and full nodes
// take nothing new.
import { ingests, type NodeInfo } from './NodeRegistry.js';

export function placeCamera(nodes: readonly NodeInfo[], region: string | undefined): NodeInfo | undefined {
  const open = nodes.filter((n) => ingests(n) && !n.draining && n.load < n.capacity);
  const local = region ? open.filter((n) => n.region === region) : [];
  const pool = local.length > 0 ? local : open;
  return [...pool].sort((a, b) => a.load / a.capacity - b.load / b.capacity || a.id.localeCompare(b.id))[0];
}

/**
 * Places several cameras at once on one view of the cluster: each placement counts toward its
 * node's load for the next, so a sweep spreads cameras rather than piling them on one node.
 */
export function placeCameras(nodes: readonly NodeInfo[], cameras: ReadonlyArray<{ id: string; region: string | undefined }>): Map<string, string> {
  const view = nodes.map((n) => ({ ...n }));
  const out = new Map<string, string>();
  for (const c of cameras) {
    const target = placeCamera(view, c.region);
    if (!target) break;
    target.load++;
    out.set(c.id, target.id);
  }
  return out;
}

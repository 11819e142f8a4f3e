// Browser-facing origins of the cluster's nodes: what a node says pages may reach it at, checked
// tightly because it ends up in a response header (Content-Security-Policy) and in pages.

/** An http(s) origin: scheme, host (name, IPv4 or [IPv6]) and optional port; no path, no query. */
export const PUBLIC_ORIGIN = /^https?:\/\/(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** `origin` and its WebSocket twin (http→ws, https→wss): CSP's connect-src matches schemes literally. */
export function withWebSocket(origin: string): [string, string] {
  return [origin, origin.replace(/^http/, 'ws')];
}

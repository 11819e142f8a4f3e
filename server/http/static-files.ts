// The built web client (scripts/build-client.mjs). Scripts and styles are named by their
// content's hash, so a browser may keep them for a year and use them without asking: a
// returning page then costs one request (the page itself) before its script runs, instead of
// three (page, script, style revalidated one after the other). The pages, and anything not
// named so, are asked for every time (`no-cache`: kept, but revalidated), so a new build is
// seen at the next load.
import express, { type Response } from 'express';

/** What the build names by content: `<name>-<esbuild's 8-character hash>.<ext>` (and its map or licences). */
const CONTENT_NAMED = /-[A-Z0-9]{8}\.(?:js|css)(?:\.map|\.LEGAL\.txt)?$/;

export function staticFiles(dir: string): express.Handler {
  return express.static(dir, {
    index: 'index.html',
    setHeaders: (res: Response, file: string) => {
      res.setHeader('Cache-Control', CONTENT_NAMED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}

// A static file server for the browser tests: the built packages, as a browser would load them
// unbundled. Every path is served twice: under /isolated/ with the COOP/COEP headers that make a page
// (and its workers) cross-origin isolated, and under /plain/ without them.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/ (the folder of kernels-wasm and tensor). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The only folders served by default, relative to ROOT (@wcnn/nn's browser tests add their own). */
const SERVED = ['kernels-wasm/dist/', 'kernels-wasm/build/', 'tensor/dist/', 'tensor/test/browser/'];
const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json',
};
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export interface Served {
  /** Request path, such as /isolated/kernels-wasm/build/wcnn-simd-shared.wasm */
  path: string;
  status: number;
}

export interface TestServer {
  /** The address of `path` (relative to packages/), on the isolated or the plain side. */
  url(path: string, isolated: boolean): string;
  /** Every request answered so far, in order. */
  readonly log: Served[];
  close(): Promise<void>;
}

/** Serves the `served` folders of `root` (default: packages/); '' serves all of it. */
export async function startServer(served: readonly string[] = SERVED, root = ROOT): Promise<TestServer> {
  const log: Served[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const answer = (status: number, headers: Record<string, string>, body?: Buffer | string) => {
      log.push({ path, status });
      res.writeHead(status, { 'Cache-Control': 'no-store', ...headers });
      res.end(body);
    };
    const m = /^\/(isolated|plain)\/(.*)$/.exec(path);
    if (path === '/favicon.ico') return answer(204, {});
    if (!m) return answer(404, { 'Content-Type': 'text/plain' }, 'not found');
    const headers: Record<string, string> = m[1] === 'isolated' ? { ...ISOLATION } : {};
    const rel = normalize(decodeURIComponent(m[2])).split(sep).join('/');
    const type = TYPES[extname(rel)];
    if (!type || rel.startsWith('..') || !served.some((d) => rel.startsWith(d))) {
      return answer(404, { ...headers, 'Content-Type': 'text/plain' }, 'not found');
    }
    readFile(join(root, rel)).then(
      (body) => answer(200, { ...headers, 'Content-Type': type }, body),
      () => answer(404, { ...headers, 'Content-Type': 'text/plain' }, 'not found'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: (path, isolated) => `http://127.0.0.1:${port}/${isolated ? 'isolated' : 'plain'}/${path}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

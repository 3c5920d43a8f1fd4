// The peers `wcnn bench --vs` measures against. They are devDependencies of the repository root
// only (never dependencies of a package): found by dynamic import, with the install line if missing.
import { UsageError } from '../errors.js';
import { PEER_NAMES, type Peer, type PeerName } from './common.js';

export { PEER_NAMES, PeerUnsupported, type Peer, type PeerName, type PeerCase, type ConvLayerSpec, type ModelSpec } from './common.js';

/** Pinned versions: the ones the README's numbers were measured with. */
export const PEER_PACKAGES: Record<PeerName, string[]> = {
  tfjs: ['@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0'],
  ort: ['onnxruntime-web@1.30.0'],
};

export function parsePeerList(value: string | undefined): PeerName[] {
  if (value === undefined) return [];
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError(`--vs expects a list like tfjs,ort, got '${value}'`);
  for (const n of names) if (!PEER_NAMES.includes(n as PeerName)) throw new UsageError(`--vs: unknown peer '${n}' (expected: ${PEER_NAMES.join(', ')})`);
  return [...new Set(names)] as PeerName[];
}

const isMissingModule = (e: unknown): boolean => {
  const code = (e as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
};

/** Module names to import, for tests that check the message of a missing peer. */
export interface PeerModules {
  tfjs?: { core: string; wasm: string };
  ort?: string;
}

/** Loads and configures the peers asked for; a missing package is a UsageError saying how to install it. */
export async function loadPeers(names: readonly PeerName[], modules: PeerModules = {}, threads = 1): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (const name of names) {
    try {
      if (name === 'tfjs') {
        const { tfjsPeer, TFJS_MODULES } = await import('./tfjs.js');
        peers.push(await tfjsPeer(modules.tfjs ?? TFJS_MODULES));
      } else {
        const { ortPeer, ORT_MODULE } = await import('./ort.js');
        peers.push(await ortPeer(modules.ort ?? ORT_MODULE, threads));
      }
    } catch (e) {
      if (isMissingModule(e)) {
        const pkgs = PEER_PACKAGES[name];
        throw new UsageError(`--vs ${name} needs ${pkgs.map((p) => p.replace(/@[^@]*$/, '')).join(' and ')}, ${pkgs.length > 1 ? 'which are' : 'which is'} not installed; at the repository root run: npm install -D ${pkgs.join(' ')}`);
      }
      throw e;
    }
  }
  return peers;
}

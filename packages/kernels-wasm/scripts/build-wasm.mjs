// Compiles assembly/index.ts four times: baseline WASM SIMD 128 and relaxed SIMD (f32x4.relaxed_madd),
// each for a plain memory and for a shared one (threads: every worker instantiates the same module on
// one shared memory). Kernels own no memory: the module imports `env.memory`, which JS creates and grows.
// The kernels keep no state in memory (no data segments, no globals), so instantiating a build once per
// thread on the same memory is safe.
import { main } from 'assemblyscript/asc';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Overrides for parallel development only: another entry file or output folder.
const entry = process.env.WCNN_ASC_ENTRY ?? join(root, 'assembly/index.ts');
const outDir = process.env.WCNN_WASM_OUT ?? join(root, 'build');
mkdirSync(outDir, { recursive: true });

const common = [
  entry,
  '--runtime', 'stub',
  '--importMemory',
  '--initialMemory', '1',
  '--noAssert',
  '--uncheckedBehavior', 'always',
  '--optimizeLevel', '3',
  '--shrinkLevel', '0',
  '--converge',
  '--enable', 'simd',
];
// A shared memory must declare its maximum; 65536 pages is wasm32's 4 GiB (JS picks the real bound).
const shared = ['--sharedMemory', '--maximumMemory', '65536', '--enable', 'threads'];
const relaxed = ['--enable', 'relaxed-simd'];
const builds = [
  { name: 'wcnn-simd', extra: [] },
  { name: 'wcnn-relaxed', extra: relaxed },
  { name: 'wcnn-simd-shared', extra: shared },
  { name: 'wcnn-relaxed-shared', extra: [...relaxed, ...shared] },
];

for (const { name, extra } of builds) {
  const out = join(outDir, `${name}.wasm`);
  const args = [...common, ...extra, '--outFile', out, '--textFile', join(outDir, `${name}.wat`)];
  const { error, stderr } = await main(args);
  if (error) {
    process.stderr.write(stderr.toString());
    console.error(`asc failed for ${name}: ${error.message}`);
    process.exit(1);
  }
  console.log(`${name}.wasm  ${(statSync(out).size / 1024).toFixed(1)} KB`);
}

// Compiles assembly/index.ts twice: baseline WASM SIMD 128, and relaxed SIMD (f32x4.relaxed_madd).
// Kernels own no memory: the module imports `env.memory`, which JS creates and grows.
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
const builds = [
  { name: 'wcnn-simd', extra: [] },
  { name: 'wcnn-relaxed', extra: ['--enable', 'relaxed-simd'] },
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

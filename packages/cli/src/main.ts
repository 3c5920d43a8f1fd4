import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';
import { parseSimd, startEngine } from './engine.js';
import { lectureExample, shortBenchmark } from './demo.js';

const HELP = `wcnn — convolutional neural networks on WebAssembly SIMD

Usage:
  wcnn [demo] [--simd auto|baseline|relaxed] [--quick]
      The lecture's worked convolution example, then a short conv and pool benchmark.

Options:
  --simd      kernel build: auto (default: relaxed SIMD where available), baseline or relaxed
  --quick     a shorter benchmark (about 0.3 s per case instead of 1 s)
  --verbose   print stack traces of errors
  --version   print the version
  --help      print this help
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 bad usage or input). */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          simd: { type: 'string' },
          quick: { type: 'boolean' },
          verbose: { type: 'boolean' },
          version: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/, ''));
    }
    const { values, positionals } = parsed;
    verbose = values.verbose ?? false;
    if (values.help) {
      io.out(HELP.trimEnd());
      return 0;
    }
    if (values.version) {
      io.out(version());
      return 0;
    }
    const [command = 'demo', ...rest] = positionals;
    if (command !== 'demo') throw new UsageError(`unknown command '${command}' (expected: demo; see wcnn --help)`);
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const simd = parseSimd(values.simd);
    const engine = await startEngine(simd);
    io.out(`wcnn ${version()}: ${engine.flavor} SIMD build, Node ${process.version}`);
    io.out('');
    const ok = lectureExample(io.out);
    io.out('');
    shortBenchmark(io.out, values.quick ? 0.3 : 1);
    return ok ? 0 : 1;
  } catch (e) {
    const err = e as Error;
    io.err(`wcnn: ${err.message}`);
    if (verbose && err.stack) io.err(err.stack);
    return e instanceof UsageError ? 2 : 1;
  }
}

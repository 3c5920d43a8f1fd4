import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';
import { parseSimd, parseThreads, positiveInt, startEngine } from './engine.js';
import { loadModel } from './models.js';
import { runModel } from './run.js';

const HELP = `wcnn — convolutional neural networks on WebAssembly SIMD

Usage:
  wcnn [demo] [--simd auto|baseline|relaxed] [--threads N] [--quick]
      The lecture's worked convolution example, a short conv and pool benchmark, and a short
      comparison with TensorFlow.js and onnxruntime-web (when installed).
  wcnn run MODEL.onnx|zoo:NAME --input NAME=FILE.npy [--input ...] --out DIR [--simd ...] [--threads N]
           [--runs N]
      Runs a model; writes DIR/<output name>.npy for every output and prints name, shape, time.
      --runs N runs it N times and prints each run's time (the first runs the 3x3 convs on im2col +
      GEMM, the second builds their Winograd filters); the outputs are the last run's.
      ONNX models take and give NCHW arrays, as ONNX defines them; zoo models are NHWC (Keras).
  wcnn summary MODEL.onnx|zoo:NAME [--input-shape 1,3,224,224] [--json]
      Layers, output shapes, parameter counts and receptive fields.
  wcnn bench [--suite FILE] [MODEL.onnx|zoo:NAME ...] [--simd ...] [--runs N] [--vs tfjs,ort]
             [--json | --markdown] [--threads N] [--max-time SECONDS]
      Times conv layers (default: ../shared/bench/conv-suite.json beside the repository) and
      models, in GFLOP/s and % of this machine's SIMD peak (measured by a probe kernel), and
      against TensorFlow.js and onnxruntime-web (--vs; devDependencies of the repository root),
      interleaved in the same process: peer ms / wcnn ms > 1 means wcnn is faster. One thread
      unless --threads N (wcnn and onnxruntime-web then run N threads; TensorFlow.js has none in Node).
  wcnn bench --cold MODEL.onnx|zoo:NAME ... [--vs ort] [--runs N] [--threads N] [--json | --markdown]
      Cold starts: a fresh Node process per sample times init + loading the .onnx file + the first
      inference (wcnn), or session creation + the first run (onnxruntime-web), alternating; medians of
      N samples (default 3). A zoo model is exported to an .onnx file first.

Options:
  --simd         kernel build: auto (default: relaxed SIMD where available), baseline or relaxed
  --quick        a shorter benchmark (about 0.3 s per case instead of 1 s)
  --runs N       bench: at least N Benchmark.js samples per measurement (default 5); run: runs (default 1)
  --max-time S   bench: seconds a measurement may take once it has N samples (default 0.5)
  --vs LIST      bench: peers to measure too: tfjs, ort
  --markdown     bench: a markdown table for the README instead of the text table
  --cold         bench: time cold starts in fresh processes instead of warm runs
  --threads N    threads running kernels (default: all cores; bench: 1)
  --verbose      print stack traces of errors
  --version      print the version
  --help         print this help

Exit codes: 0 done, 1 failure, 2 bad usage or input (one line on stderr).
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

function parseShape(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const dims = v.split(/[,x]/).map((d) => Number(d.trim()));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new UsageError(`--input-shape must be positive integers like 1,3,224,224, got '${v}'`);
  return dims;
}

const COMMANDS = ['demo', 'run', 'summary', 'bench'];
/** Options that only bench takes, and options that bench does not take. */
const BENCH_ONLY = ['suite', 'vs', 'markdown', 'max-time', 'cold'];
const NOT_BENCH = ['quick', 'input', 'out', 'input-shape'];

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
          input: { type: 'string', multiple: true },
          out: { type: 'string' },
          'input-shape': { type: 'string' },
          json: { type: 'boolean' },
          suite: { type: 'string' },
          runs: { type: 'string' },
          vs: { type: 'string' },
          markdown: { type: 'boolean' },
          threads: { type: 'string' },
          'max-time': { type: 'string' },
          cold: { type: 'boolean' },
          verbose: { type: 'boolean' },
          version: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (e) {
      // One line: parseArgs adds hints on further lines ("Did you forget ...").
      throw new UsageError((e as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, ''));
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
    if (!COMMANDS.includes(command)) throw new UsageError(`unknown command '${command}' (expected: ${COMMANDS.join(', ')}; see wcnn --help)`);
    const given = (names: string[]) => names.filter((n) => values[n as keyof typeof values] !== undefined);
    const misplaced = command === 'bench' ? given(NOT_BENCH) : given(BENCH_ONLY);
    if (misplaced.length > 0) throw new UsageError(`--${misplaced[0]} is ${command === 'bench' ? 'not an option of bench' : 'an option of bench only'}`);
    if (values.runs !== undefined && command !== 'bench' && command !== 'run') throw new UsageError('--runs is an option of run and bench only');
    // The benchmark and the demo (Benchmark.js, the peers) load only when asked for: `run` stays lean.
    if (command === 'bench') {
      const { benchCommand } = await import('./bench/command.js');
      return await benchCommand(
        { models: rest, simd: values.simd, suite: values.suite, runs: values.runs, vs: values.vs, json: values.json, markdown: values.markdown, threads: values.threads, maxTime: values['max-time'], cold: values.cold },
        io,
        { version: version() },
      );
    }
    const simd = parseSimd(values.simd);
    const threads = parseThreads(values.threads);
    if (command === 'demo') {
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
      const { lectureExample, shortBenchmark, shortComparison } = await import('./demo.js');
      const engine = await startEngine(simd, threads);
      io.out(`wcnn ${version()}: ${engine.flavor} SIMD build, ${engine.threads} thread${engine.threads > 1 ? 's' : ''}, Node ${process.version}`);
      io.out('');
      const ok = lectureExample(io.out);
      io.out('');
      await shortBenchmark(io.out, values.quick ? 0.3 : 1);
      io.out('');
      await shortComparison(io.out);
      return ok ? 0 : 1;
    }
    if (rest.length !== 1) throw new UsageError(`${command} expects one model (MODEL.onnx or zoo:NAME), got ${rest.length === 0 ? 'none' : rest.join(' ')}`);
    const inputShape = parseShape(values['input-shape']);
    const runs = positiveInt('--runs', values.runs, 1);
    await startEngine(simd, threads);
    const loaded = await loadModel(rest[0], command === 'summary' ? inputShape : undefined);
    if (command === 'summary') {
      const { lines, data } = loaded.summary(inputShape);
      if (values.json) io.out(JSON.stringify(data, null, 2));
      else lines.forEach((l) => io.out(l));
      return 0;
    }
    if (!values.input || values.input.length === 0) throw new UsageError('run needs --input NAME=FILE.npy (one per model input)');
    if (!values.out) throw new UsageError('run needs --out DIR');
    const model = loaded.runnable();
    await runModel(model, loaded.layout, values.input, values.out, io.out, runs);
    model.dispose();
    return 0;
  } catch (e) {
    const err = e as Error;
    io.err(`wcnn: ${err.message}`);
    if (verbose && err.stack) io.err(err.stack);
    return e instanceof UsageError ? 2 : 1;
  }
}

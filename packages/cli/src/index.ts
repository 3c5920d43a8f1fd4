export { main, type Io } from './main.js';
export { runBench, type BenchCase, type BenchResult } from './bench.js';

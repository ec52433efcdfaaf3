import * as tfjs from '@tensorflow/tfjs';
import type * as tfjsWasm from '@tensorflow/tfjs-backend-wasm';
import { TfstreamError } from '@tfstream/schema';

/** The TensorFlow.js namespace (`@tensorflow/tfjs`) that model code and the SDK share. */
export type Tf = typeof tfjs;

/** Which backend to start: `'auto'` tries tfjs-node, then wasm, then cpu. */
export type BackendPreference = 'auto' | 'node' | 'wasm' | 'cpu';

/** The backend that runs the tensors: native TensorFlow (tfjs-node), WebAssembly, or plain JS. */
export type BackendKind = 'node' | 'wasm' | 'cpu';

/** Options of {@link initEngine}. */
export interface EngineOptions {
  /** Defaults to `'auto'`. */
  backend?: BackendPreference;
  /**
   * In the browser: where the `.wasm` files of `@tensorflow/tfjs-backend-wasm` are served, as a
   * URL prefix ending in `/` or a map from file name (`tfjs-backend-wasm-simd.wasm`, ...) to URL.
   * In Node the SDK finds the files of the installed package itself; a value given here wins.
   */
  wasmPaths?: string | Readonly<Record<string, string>>;
}

/** One backend that {@link initEngine} tried, and what came of it. */
export interface BackendAttempt {
  readonly backend: BackendKind;
  readonly ok: boolean;
  /** Why it was chosen or skipped, in a few words, for the run log. */
  readonly reason: string;
}

/** The started TensorFlow.js engine. */
export interface Engine {
  readonly tf: Tf;
  readonly backend: BackendKind;
  /** The tfjs backend name: `'tensorflow'` (tfjs-node), `'wasm'` or `'cpu'`. */
  readonly tfBackend: string;
  /** One line for the run log: which backend runs and why the ones before it did not. */
  readonly detail: string;
  /** Every backend tried, in order. */
  readonly attempts: readonly BackendAttempt[];
}

/**
 * What only Node can do for the engine; `@tfstream/sdk/node` implements it. It is loaded with a
 * dynamic import that bundlers skip, so that the browser build never sees Node modules.
 */
export interface NodeEngineSupport {
  /** Absolute path of the folder holding the installed `.wasm` files, ending in `/`. */
  wasmDirectory(): string;
  /** Loads `@tensorflow/tfjs-node` when it is installed; never throws. */
  loadTfjsNode(): Promise<{ readonly loaded: true } | { readonly loaded: false; reason: string }>;
}

// A variable specifier: bundlers for the browser leave the import alone.
const NODE_SUPPORT_MODULE = '@tfstream/sdk/node';

let started: { preference: BackendPreference; promise: Promise<Engine> } | undefined;
let current: Engine | undefined;

/**
 * Starts TensorFlow.js once per process and tells which backend runs. With `'auto'` it tries, in
 * order: `@tensorflow/tfjs-node` when it is installed (an optional peer dependency, Node only),
 * the WebAssembly backend (single-threaded in Node; its `.wasm` files are read from the installed
 * package, so no network is needed), and the plain JavaScript `cpu` backend.
 *
 * Idempotent: later calls return the same engine. A later call that names another backend than
 * the one running is an `ENGINE_ERROR`, as is an explicitly requested backend that cannot start.
 *
 * @example
 * ```ts
 * import { initEngine } from '@tfstream/sdk';
 *
 * const { tf, backend, detail } = await initEngine();
 * console.log(detail);
 * // wasm (SIMD, single-threaded, as tfjs-backend-wasm is in Node; .wasm files from /…/dist/),
 * // because node: @tensorflow/tfjs-node is not installed
 * tf.tensor([1, 2, 3]).print();
 * ```
 */
export async function initEngine(options: EngineOptions = {}): Promise<Engine> {
  const preference = options.backend ?? 'auto';
  if (started !== undefined) {
    const engine = await started.promise;
    if (preference !== 'auto' && preference !== engine.backend) {
      throw new TfstreamError(
        'ENGINE_ERROR',
        `the ${engine.backend} backend already runs in this process; ${preference} cannot be started as well (call initEngine once, before any model code)`,
      );
    }
    return engine;
  }
  const promise = start(preference, options);
  started = { preference, promise };
  try {
    current = await promise;
    return current;
  } catch (error) {
    // A failed start may be retried, e.g. with another backend.
    started = undefined;
    throw error;
  }
}

/**
 * The engine started by {@link initEngine}, or `undefined` before it finished.
 * @example
 * ```ts
 * console.log(currentEngine()?.backend ?? 'not started');
 * ```
 */
export function currentEngine(): Engine | undefined {
  return current;
}

async function start(preference: BackendPreference, options: EngineOptions): Promise<Engine> {
  const attempts: BackendAttempt[] = [];
  const node = isNode() ? await loadNodeSupport() : undefined;
  const order: BackendKind[] = preference === 'auto' ? ['node', 'wasm', 'cpu'] : [preference];
  for (const backend of order) {
    const attempt = await tryBackend(backend, node, options);
    attempts.push(attempt);
    if (attempt.ok) {
      const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.reason}`);
      const why =
        preference !== 'auto'
          ? 'as requested'
          : skipped.length > 0
            ? `because ${skipped.join('; ')}`
            : 'the first choice';
      return {
        tf: tfjs,
        backend,
        tfBackend: tfjs.getBackend(),
        detail: `${attempt.reason}, ${why}`,
        attempts,
      };
    }
  }
  throw new TfstreamError(
    'ENGINE_ERROR',
    `no TensorFlow.js backend could start: ${attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')}`,
  );
}

async function tryBackend(
  backend: BackendKind,
  node: NodeEngineSupport | undefined,
  options: EngineOptions,
): Promise<BackendAttempt> {
  switch (backend) {
    case 'node': {
      if (node === undefined) {
        return { backend, ok: false, reason: 'tfjs-node needs Node.js' };
      }
      const loaded = await node.loadTfjsNode();
      if (!loaded.loaded) {
        return { backend, ok: false, reason: loaded.reason };
      }
      if (!(await setBackendQuietly('tensorflow'))) {
        return { backend, ok: false, reason: '@tensorflow/tfjs-node loaded but did not start' };
      }
      return {
        backend,
        ok: true,
        reason: 'node (native TensorFlow through @tensorflow/tfjs-node)',
      };
    }
    case 'wasm':
      return tryWasm(node, options);
    case 'cpu':
      if (!(await setBackendQuietly('cpu'))) {
        return { backend, ok: false, reason: 'the cpu backend did not start' };
      }
      return { backend, ok: true, reason: 'cpu (plain JavaScript, slowest)' };
  }
}

async function tryWasm(
  node: NodeEngineSupport | undefined,
  options: EngineOptions,
): Promise<BackendAttempt> {
  let wasm: typeof tfjsWasm;
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    return {
      backend: 'wasm',
      ok: false,
      reason: `tfjs-backend-wasm failed to load: ${messageOf(error)}`,
    };
  }
  let source: string;
  if (options.wasmPaths !== undefined) {
    wasm.setWasmPaths(options.wasmPaths as string | Record<string, string>);
    source = 'the given wasmPaths';
  } else if (node !== undefined) {
    const directory = node.wasmDirectory();
    wasm.setWasmPaths(directory);
    source = directory;
  } else {
    source = 'next to the bundled script';
  }
  if (!(await setBackendQuietly('wasm'))) {
    return {
      backend: 'wasm',
      ok: false,
      reason: `the wasm backend did not start (.wasm files looked up in ${source})`,
    };
  }
  const simd = (await tfjs.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true ? 'SIMD' : 'no SIMD';
  const threads = wasm.getThreadsCount();
  const threading =
    node === undefined
      ? `${threads} thread${threads === 1 ? '' : 's'}`
      : 'single-threaded, as tfjs-backend-wasm is in Node';
  return {
    backend: 'wasm',
    ok: true,
    reason: `wasm (${simd}, ${threading}; .wasm files from ${source})`,
  };
}

async function setBackendQuietly(name: string): Promise<boolean> {
  try {
    const ok = await tfjs.setBackend(name);
    if (ok) {
      await tfjs.ready();
    }
    return ok && tfjs.getBackend() === name;
  } catch {
    return false;
  }
}

async function loadNodeSupport(): Promise<NodeEngineSupport | undefined> {
  try {
    const module = (await import(/* @vite-ignore */ NODE_SUPPORT_MODULE)) as {
      nodeEngineSupport: NodeEngineSupport;
    };
    return module.nodeEngineSupport;
  } catch {
    return undefined;
  }
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

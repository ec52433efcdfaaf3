import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type { NodeEngineSupport } from '../engine/engine.js';

const require = createRequire(import.meta.url);

// A variable specifier, so that no bundler or type checker insists that the package exists.
const TFJS_NODE = '@tensorflow/tfjs-node';

/**
 * Absolute path of the folder with the `.wasm` files of the installed
 * `@tensorflow/tfjs-backend-wasm`, ending in the path separator. The wasm backend reads them from
 * disk, so it works offline and wherever the SDK is bundled to.
 *
 * @example
 * ```ts
 * import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
 * import { wasmDirectory } from '@tfstream/sdk/node';
 *
 * setWasmPaths(wasmDirectory());
 * ```
 */
export function wasmDirectory(): string {
  const manifest = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return join(dirname(manifest), 'dist') + sep;
}

/**
 * Whether `@tensorflow/tfjs-node` can be resolved from the SDK, without loading it.
 *
 * @example
 * ```ts
 * if (!isTfjsNodeInstalled()) console.log('npm install @tensorflow/tfjs-node for native speed');
 * ```
 */
export function isTfjsNodeInstalled(): boolean {
  try {
    require.resolve(TFJS_NODE);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads `@tensorflow/tfjs-node` (which registers the `tensorflow` backend) when it is installed.
 * Never throws: a missing package or a broken native binding comes back as a reason.
 *
 * @example
 * ```ts
 * const result = await loadTfjsNode();
 * if (!result.loaded) console.log(result.reason); // @tensorflow/tfjs-node is not installed
 * ```
 */
export async function loadTfjsNode(): Promise<
  { readonly loaded: true } | { readonly loaded: false; reason: string }
> {
  if (!isTfjsNodeInstalled()) {
    return { loaded: false, reason: '@tensorflow/tfjs-node is not installed' };
  }
  try {
    await import(/* @vite-ignore */ TFJS_NODE);
    return { loaded: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      loaded: false,
      reason: `@tensorflow/tfjs-node is installed but failed to load: ${message}`,
    };
  }
}

/** The Node side of `initEngine`, loaded by it only when it runs in Node. */
export const nodeEngineSupport: NodeEngineSupport = { wasmDirectory, loadTfjsNode };

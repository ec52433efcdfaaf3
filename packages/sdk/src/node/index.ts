export {
  isTfjsNodeInstalled,
  loadTfjsNode,
  nodeEngineSupport,
  wasmDirectory,
} from './node-engine.js';

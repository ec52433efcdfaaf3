export type { FileFormat, InferFileOptions, ReadFileOptions, RecordFile } from './files.js';
export {
  RecordFileWriter,
  detectFileFormat,
  inferFileSchema,
  readFileChunks,
  readRecordFile,
} from './files.js';
export { isFormatName, loadFormat, resolveFormatName } from './format-registry.js';

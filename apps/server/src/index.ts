// @tfstream/server: the studio's server (HTTP API, run streams over WebSocket, run hosts).
export type { StudioIo } from './cli.js';
export { STUDIO_HELP, studioMain, studioOptions } from './cli.js';
export type { ServerLogger, ServerOptions } from './config.js';
export { DEFAULT_HOST, DEFAULT_PORT, isLoopbackHost } from './config.js';
export type { StudioServer } from './server.js';
export { startServer } from './server.js';

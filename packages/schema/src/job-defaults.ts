// Defaults and the name rule of the job document, which the runtime's job parser applies and the
// studio's web app shows while a job is edited. They live here, in the package below both that
// loads in a browser, so that there is one definition (the runtime does not load in a browser).

/** Default records per batch for `micro-batch` and `batch` transfers. */
export const DEFAULT_BATCH_SIZE = 32;

/** Default linger of `micro-batch` transfers, in ms. */
export const DEFAULT_LINGER_MS = 100;

/** Default number of records a `memory` sink keeps. */
export const DEFAULT_MEMORY_TAIL = 1000;

/**
 * The pattern a job name follows (a regular expression's source, as JSON Schema's `pattern`
 * takes it): 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit.
 *
 * @example
 * ```ts
 * new RegExp(JOB_NAME_PATTERN).test('penguin-train'); // true
 * ```
 */
export const JOB_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

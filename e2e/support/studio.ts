// Where the e2e server listens and the token it requires.
export const E2E_PORT = Number(process.env.TFSTREAM_E2E_PORT ?? 8791);
export const E2E_TOKEN = 'e2e-0123456789abcdef0123456789abcdef';
export const E2E_URL = `http://127.0.0.1:${E2E_PORT}`;

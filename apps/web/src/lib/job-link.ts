// A whole job in a URL, as the TypeScript playground carries code: JSON, deflate-raw
// (CompressionStream), base64url, in the hash (`/open#job=…`) so that it never reaches a server.
import type { StudioJob } from '@tfstream/studio-api';

/** Longest link the studio offers; browsers and chat apps cut longer ones. */
export const MAX_LINK_LENGTH = 32_000;

async function pump(
  bytes: Uint8Array,
  stream: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const output = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(output).arrayBuffer());
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

/** The job, compressed, as the value of `#job=`. */
export async function encodeJob(job: StudioJob): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(job));
  return toBase64Url(await pump(json, new CompressionStream('deflate-raw')));
}

/** The job a `#job=` value carries; throws with a readable message when it is damaged. */
export async function decodeJob(value: string): Promise<StudioJob> {
  let text: string;
  try {
    text = new TextDecoder().decode(
      await pump(fromBase64Url(value), new DecompressionStream('deflate-raw')),
    );
  } catch {
    throw new Error('The link is damaged: its job could not be decompressed. Copy the whole link.');
  }
  const job = JSON.parse(text) as unknown;
  if (typeof job !== 'object' || job === null || !('model' in job) || !('input' in job)) {
    throw new Error('The link does not carry a tfstream job.');
  }
  return job as StudioJob;
}

/** `https://host/open#job=…` for a job, or undefined when the link would be too long. */
export async function jobLink(job: StudioJob, origin: string): Promise<string | undefined> {
  const link = `${origin}/open#job=${await encodeJob(job)}`;
  return link.length > MAX_LINK_LENGTH ? undefined : link;
}

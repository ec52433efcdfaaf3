import { TfstreamError } from '@tfstream/schema';

/** A TCP endpoint split into its parts. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `127.0.0.1:2222`, or `[::1]:2222` for IPv6 hosts: the form cluster specs use. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Splits `host:port` (or `[ipv6]:port`) into its parts.
 *
 * @throws `PROTOCOL_ERROR` when `address` has no valid port.
 */
export function parseAddress(address: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port < 1 || port > 65535) {
    throw new TfstreamError(
      'PROTOCOL_ERROR',
      `${JSON.stringify(address)} is not a "host:port" address with a port from 1 to 65535`,
    );
  }
  return { host: match[1] ?? match[2]!, port };
}

import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Keeps web pages in the user's browser away from the local runtime, which has no authentication.
 *
 * - `Origin`: browsers send "simple" cross-site POSTs (text/plain, form posts) without a preflight,
 *   so any page could post events. A request that carries an Origin must come from the runtime's
 *   own origin. Clients outside a browser (curl, the simulator, tests) send no Origin and pass.
 * - `Host`: a DNS-rebinding page reaches the runtime under its own domain name, which then counts as
 *   same-origin in the browser. Browsers always send the name they used, so only the runtime's own
 *   names are accepted: loopback names and the configured HOST.
 *
 * When HOST is not a loopback address the runtime is meant to be reached under names it cannot
 * know (the machine's name, a LAN address), so the Host check is off and an Origin passes when it
 * names the same host and port as the request's Host header. DNS rebinding is then not blocked.
 */
export class RequestGuard {
  private readonly ownNames: ReadonlySet<string>;
  private readonly checksHost: boolean;

  /**
   * @param bindHost the configured HOST
   * @param port the port the runtime listens on (read when a request arrives: it may be chosen at listen time)
   */
  constructor(
    bindHost: string,
    private readonly port: () => number,
  ) {
    this.ownNames = new Set(['127.0.0.1', 'localhost', '::1', canonicalHostname(bindHost)]);
    this.checksHost = isLoopbackAddress(bindHost);
  }

  /** Why the request is refused, or undefined when it may go on. */
  refusal(headers: { readonly host?: string | undefined; readonly origin?: string | undefined }): string | undefined {
    const { host, origin } = headers;
    if (this.checksHost && host !== undefined) {
      const authority = parseAuthority(host);
      if (!authority || !this.ownNames.has(authority.hostname)) {
        return `Host ${JSON.stringify(host)} is not a name of this runtime (${this.namesShown()}); refused as a possible DNS-rebinding attack`;
      }
    }
    if (origin !== undefined && !this.isOwnOrigin(origin, host)) {
      return `cross-origin request refused: Origin ${JSON.stringify(origin)} is not this runtime (http://${this.namesShown()} on port ${this.port()}); the local runtime has no authentication, so only its own dashboard and clients that send no Origin may call it`;
    }
    return undefined;
  }

  private isOwnOrigin(origin: string, host: string | undefined): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // includes the opaque origin "null" (sandboxed frames, file: pages)
    }
    if (url.protocol !== 'http:' || url.origin !== origin.toLowerCase()) return false;
    // Exactly the origin the browser addressed (also behind a port forward), once Host has passed.
    if (host !== undefined && url.host === host.toLowerCase()) return true;
    const port = url.port === '' ? 80 : Number(url.port);
    return port === this.port() && this.ownNames.has(canonicalHostname(url.hostname));
  }

  private namesShown(): string {
    return [...this.ownNames].map((name) => (isIPv6(name) ? `[${name}]` : name)).join(', ');
  }
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for localhost and the loopback addresses (127.0.0.0/8, ::1, also written IPv4-mapped). */
export function isLoopbackAddress(host: string): boolean {
  const name = canonicalHostname(host);
  if (name === 'localhost') return true;
  if (isIPv4(name)) return LOOPBACK.check(name, 'ipv4');
  if (isIPv6(name)) return LOOPBACK.check(name, 'ipv6');
  return false;
}

/** A hostname as the URL parser writes it (lower case, IPv6 compressed), without IPv6 brackets. */
function canonicalHostname(host: string): string {
  const trimmed = host.trim();
  const bracketed = isIPv6(trimmed) ? `[${trimmed}]` : trimmed;
  let hostname: string;
  try {
    hostname = new URL(`http://${bracketed}`).hostname;
  } catch {
    hostname = trimmed.toLowerCase();
  }
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** The hostname of a Host header value (`name`, `name:port`, `[v6]:port`), or undefined if it is not one. */
function parseAuthority(value: string): { hostname: string } | undefined {
  let url: URL;
  try {
    url = new URL(`http://${value}`);
  } catch {
    return undefined;
  }
  // Anything beyond host and port (user info, a path) means this was not a plain Host value.
  const lower = value.toLowerCase();
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
  if (lower.includes('/') || lower.includes('?') || lower.includes('#') || lower.includes('@')) return undefined;
  return { hostname: canonicalHostname(url.hostname) };
}

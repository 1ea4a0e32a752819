import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionHttpHandler } from './functions';

/** A route served by a function-style handler, exactly as the Functions host would call it. */
export interface FunctionRoute {
  readonly method: string;
  /** `/api/...`: an exact path, or a RegExp whose named groups become `request.params`. */
  readonly path: string | RegExp;
  /** The function name the InvocationContext carries. */
  readonly name: string;
  readonly handler: FunctionHttpHandler;
}

/** A route that needs the raw connection (Server-Sent Events). */
export interface RawRoute {
  readonly method: string;
  readonly path: string | RegExp;
  readonly name: string;
  readonly raw: (request: IncomingMessage, response: ServerResponse, url: URL) => void | Promise<void>;
}

export type Route = FunctionRoute | RawRoute;

export type RouteMatch =
  { kind: 'found'; route: Route; params: Record<string, string> } | { kind: 'method-not-allowed'; allowed: string[] } | { kind: 'none' };

/** Method + path → handler. Components add routes at any time (capture adds POST /api/replay). */
export class RouteTable {
  private readonly routes: Route[] = [];

  add(route: Route): void {
    const duplicate = this.routes.find(
      (existing) => existing.method === route.method.toUpperCase() && String(existing.path) === String(route.path),
    );
    if (duplicate) throw new Error(`route ${route.method} ${String(route.path)} is already served by ${duplicate.name}`);
    this.routes.push({ ...route, method: route.method.toUpperCase() });
  }

  list(): readonly Route[] {
    return this.routes;
  }

  match(method: string, pathname: string): RouteMatch {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchPath(route.path, pathname);
      if (!params) continue;
      if (route.method === method.toUpperCase() || (route.method === 'GET' && method.toUpperCase() === 'HEAD')) {
        return { kind: 'found', route, params };
      }
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'none' };
  }
}

function matchPath(path: string | RegExp, pathname: string): Record<string, string> | undefined {
  if (typeof path === 'string') return path === pathname || `${path}/` === pathname ? {} : undefined;
  const match = path.exec(pathname);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(match.groups ?? {})) if (value !== undefined) params[key] = decodeURIComponent(value);
  return params;
}

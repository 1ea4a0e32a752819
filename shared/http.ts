import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { BodyError } from './domain/json';

/** JSON responses with 64-bit ids already as strings; the payloads never hold unsafe numbers. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'cache-control': 'no-store', ...headers } };
}

export function problem(status: number, message: string): HttpResponseInit {
  return jsonResponse(status, { error: message });
}

/** Reads a request body up to `limit` bytes; a larger one is a 413, whatever its Content-Length says. */
export async function readBody(request: HttpRequest, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw new BodyError(413, `the body is larger than ${limit} bytes`);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > limit) throw new BodyError(413, `the body is larger than ${limit} bytes`);
  return bytes;
}

/** Turns bad input into a 4xx with its reason; anything else is a real fault and propagates. */
export function asClientError(error: unknown): HttpResponseInit | undefined {
  return error instanceof BodyError ? problem(error.status, error.message) : undefined;
}

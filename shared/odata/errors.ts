/**
 * A request the feed refuses, with the status and the OData error body it is answered with:
 * `{ "error": { "code", "message" } }` (OData JSON Format, "Error Response").
 */
export class ODataError extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 406 | 501,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ODataError';
  }
}

export function badRequest(message: string): ODataError {
  return new ODataError(400, 'BadRequest', message);
}

export function notFound(message: string): ODataError {
  return new ODataError(404, 'NotFound', message);
}

export function notImplemented(message: string): ODataError {
  return new ODataError(501, 'NotImplemented', message);
}

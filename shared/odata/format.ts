import { ODataError } from './errors';

export interface HeaderSource {
  get(name: string): string | null;
}

export interface ResponseFormat {
  /** Edm.Int64 as JSON strings (OData JSON Format, "Controlling the Representation of Numbers"). */
  readonly ieee754Compatible: boolean;
  /** `none` leaves out @odata.context; `full` is answered as minimal, which the content type then says. */
  readonly metadata: 'minimal' | 'none';
}

/**
 * What JSON the client asked for, from the Accept and Content-Type headers and $format. Any of them
 * carrying `IEEE754Compatible=true` switches Int64 values to strings.
 */
export function negotiateFormat(headers: HeaderSource, formatOption: string | undefined): ResponseFormat {
  const mediaRanges = [...splitMediaRanges(headers.get('accept')), ...splitMediaRanges(headers.get('content-type'))];
  if (formatOption !== undefined) {
    const format = formatOption.trim();
    const type = (format.split(';')[0] ?? '').trim().toLowerCase();
    if (type !== 'json' && type !== 'application/json') {
      throw new ODataError(406, 'NotAcceptable', `$format=${formatOption} is not available; this service answers in JSON`);
    }
    mediaRanges.unshift(type === 'json' ? `application/json${format.slice(4)}` : format);
  }
  const jsonParameters = mediaRanges
    .map(parseMediaRange)
    .filter((range) => range.type === 'application/json' || range.type === '*/*' || range.type === 'application/*');
  const ieee754Compatible = jsonParameters.some((range) => range.parameters.get('ieee754compatible') === 'true');
  const firstJson = jsonParameters.find((range) => range.type === 'application/json');
  const metadata = firstJson?.parameters.get('odata.metadata') === 'none' ? 'none' : 'minimal';
  return { ieee754Compatible, metadata };
}

export function jsonContentType(format: ResponseFormat): string {
  return `application/json;odata.metadata=${format.metadata};odata.streaming=true;IEEE754Compatible=${format.ieee754Compatible}`;
}

function splitMediaRanges(header: string | null): string[] {
  return header ? header.split(',').map((range) => range.trim()) : [];
}

function parseMediaRange(range: string): { type: string; parameters: Map<string, string> } {
  const [type = '', ...parameters] = range.split(';');
  return {
    type: type.trim().toLowerCase(),
    parameters: new Map(
      parameters.map((parameter) => {
        const [name = '', value = ''] = parameter.split('=');
        return [name.trim().toLowerCase(), value.trim().replace(/^"|"$/g, '').toLowerCase()] as const;
      }),
    ),
  };
}

/** `Prefer: odata.maxpagesize=N` (or the older `maxpagesize=N`), when present and sensible. */
export function preferredPageSize(headers: HeaderSource): number | undefined {
  const prefer = headers.get('prefer');
  if (!prefer) return undefined;
  for (const preference of prefer.split(',')) {
    const [name = '', value = ''] = preference.split('=').map((part) => part.trim());
    const key = name.toLowerCase();
    if ((key === 'odata.maxpagesize' || key === 'maxpagesize') && /^\d{1,9}$/.test(value) && Number(value) > 0) return Number(value);
  }
  return undefined;
}

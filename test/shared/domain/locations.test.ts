import { DatasetError, detectFormat, locationName, parseLocations } from '../../../shared/domain/locations';

/** hyparquet-writer is an ES module: loaded on demand from this CommonJS test. */
async function parquetFile(columnData: { name: string; data: unknown[]; type: 'INT64' | 'STRING' }[]): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  return new Uint8Array(parquetWriteBuffer({ columnData }));
}

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const entries = async (name: string, content: Uint8Array) => [...(await parseLocations(name, content))];

describe('parseLocations', () => {
  it('reads CSV with a header, a BOM, quoted names and blank lines; extra columns ignored', async () => {
    const csv =
      '\ufeffgeographical_location_oid,geographical_location,region\r\n9007199254740993,"Harbour, North",N\r\n\r\n2,Old Town,S\r\n';
    expect(await entries('locations.csv', bytes(csv))).toEqual([
      ['9007199254740993', 'Harbour, North'],
      ['2', 'Old Town'],
    ]);
  });

  it('reads JSON Lines, keeping ids past 2^53 exact', async () => {
    const jsonl =
      '{"geographical_location_oid":9007199254740993,"geographical_location":"A"}\n\n{"geographical_location_oid":"9007199254740992","geographical_location":"B"}\n';
    expect(await entries('locations.jsonl', bytes(jsonl))).toEqual([
      ['9007199254740993', 'A'],
      ['9007199254740992', 'B'],
    ]);
  });

  it('reads a JSON array', async () => {
    const json =
      '[{"geographical_location_oid":1,"geographical_location":"A"},{"geographical_location_oid":-5,"geographical_location":"B"}]';
    expect(await entries('locations.json', bytes(json))).toEqual([
      ['1', 'A'],
      ['-5', 'B'],
    ]);
  });

  it('reads Parquet with an INT64 oid column, exactly', async () => {
    const parquet = await parquetFile([
      { name: 'geographical_location_oid', data: [9007199254740993n, 9223372036854775807n, 3n], type: 'INT64' },
      { name: 'geographical_location', data: ['Harbour', 'Airport', 'Ünïcødé 😀'], type: 'STRING' },
    ]);
    expect(await entries('locations.parquet', parquet)).toEqual([
      ['9007199254740993', 'Harbour'],
      ['9223372036854775807', 'Airport'],
      ['3', 'Ünïcødé 😀'],
    ]);
    // Recognised by its magic bytes too, whatever the name.
    expect(detectFormat('dataset-b', parquet)).toBe('parquet');
  });

  it('reads Parquet with the oid as a string column', async () => {
    const parquet = await parquetFile([
      { name: 'geographical_location_oid', data: ['9007199254740993'], type: 'STRING' },
      { name: 'geographical_location', data: ['Harbour'], type: 'STRING' },
    ]);
    expect(await entries('b.parquet', parquet)).toEqual([['9007199254740993', 'Harbour']]);
  });

  it('fails on a duplicate oid, naming it, in every format', async () => {
    await expect(parseLocations('b.csv', bytes('geographical_location_oid,geographical_location\n7,A\n007,B\n'))).rejects.toThrow(
      new DatasetError('duplicate geographical_location_oid 7 (row 3)'),
    );
    await expect(
      parseLocations(
        'b.jsonl',
        bytes(
          '{"geographical_location_oid":9007199254740993,"geographical_location":"A"}\n{"geographical_location_oid":"9007199254740993","geographical_location":"B"}',
        ),
      ),
    ).rejects.toThrow(/duplicate geographical_location_oid 9007199254740993/);
    const parquet = await parquetFile([
      { name: 'geographical_location_oid', data: [5n, 5n], type: 'INT64' },
      { name: 'geographical_location', data: ['A', 'B'], type: 'STRING' },
    ]);
    await expect(parseLocations('b.parquet', parquet)).rejects.toThrow(/duplicate geographical_location_oid 5/);
  });

  it('names the row and column that is missing or wrong', async () => {
    await expect(parseLocations('b.csv', bytes('oid,geographical_location\n1,A\n'))).rejects.toThrow(
      'Dataset B: row 2: geographical_location_oid is missing',
    );
    await expect(parseLocations('b.csv', bytes('geographical_location_oid,name\n1,A\n'))).rejects.toThrow(
      /^Dataset B: row 2: geographical_location /,
    );
    await expect(parseLocations('b.csv', bytes('geographical_location_oid,geographical_location\nx1,A\n'))).rejects.toThrow(
      'Dataset B: row 2: geographical_location_oid must be a string of decimal digits',
    );
    await expect(parseLocations('b.json', bytes('[{"geographical_location_oid":1,"geographical_location":5}]'))).rejects.toThrow(
      'Dataset B: row 1: geographical_location must be a string, got number',
    );
    await expect(parseLocations('b.jsonl', bytes('{"geographical_location_oid":1,"geographical_location":"A"}\n{oops\n'))).rejects.toThrow(
      /^Dataset B: line 2 is not valid JSON/,
    );
    await expect(parseLocations('b.jsonl', bytes('[1]\n'))).rejects.toThrow('Dataset B: row 1 must be an object, got an array');
    await expect(parseLocations('b.json', bytes('{"a":1}'))).rejects.toThrow('Dataset B: a JSON file must hold an array of locations');
    await expect(parseLocations('b.csv', bytes('geographical_location_oid,geographical_location\n1,A,extra\n'))).rejects.toThrow(
      /^Dataset B: not valid CSV/,
    );
    await expect(parseLocations('b.parquet', bytes('PAR1 but not really'))).rejects.toThrow(/^Dataset B: not a readable Parquet file/);
  });

  it('does not take the oid from a __proto__ key', async () => {
    await expect(
      parseLocations('b.json', bytes('[{"__proto__":{"geographical_location_oid":1},"geographical_location":"A"}]')),
    ).rejects.toThrow('Dataset B: row 1: geographical_location_oid is missing');
  });
});

describe('detectFormat and locationName', () => {
  it('picks the format by file ending, then by content', () => {
    expect(['a.CSV', 'a.jsonl', 'a.ndjson', 'a.json', 'a.parquet'].map((name) => detectFormat(name, new Uint8Array()))).toEqual([
      'csv',
      'jsonl',
      'jsonl',
      'json',
      'parquet',
    ]);
    expect(detectFormat('blob', bytes('  [{}]'))).toBe('json');
    expect(detectFormat('blob', bytes('{"a":1}\n'))).toBe('jsonl');
    expect(detectFormat('blob', bytes('geographical_location_oid,x'))).toBe('csv');
  });

  it('joins: the name, or null for an unknown location', () => {
    const table = new Map([['1', 'Harbour']]);
    expect(locationName(table, '1')).toBe('Harbour');
    expect(locationName(table, '2')).toBeNull();
  });
});

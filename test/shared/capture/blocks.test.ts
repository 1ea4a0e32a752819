import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  buildCaptureFile,
  type CaptureBlock,
  type CaptureEvent,
  CaptureFormatError,
  CaptureWindow,
  decodeCaptureFile,
  openCaptureBlocks,
} from '../../../shared/capture';

const location = { namespace: 'ehns', eventHub: 'detections' };
const START = Date.UTC(2026, 10, 22, 10);

/** Hex that deflate cannot shrink much, as real bodies with their ids and times. */
const noise = (index: number) => [0, 1].map((part) => createHash('sha512').update(`${index}/${part}`).digest('hex')).join('');

/** A file of `count` events of ~300 compressed bytes each: several 64 KB blocks. */
async function bigFile(count: number): Promise<Buffer> {
  const events = Array.from({ length: count }, (_, index) => ({
    sequenceNumber: String(index),
    enqueuedMs: START + index,
    body: Buffer.from(`{"detection_oid":${index},"pad":"${noise(index)}"}`),
  }));
  return (await buildCaptureFile(location, '0', CaptureWindow.of(START, events))).bytes;
}

/** Opens `bytes` from an offset in chunks of `chunk` bytes, counting the bytes handed out. */
function opener(bytes: Buffer, chunk: number) {
  const served = { bytes: 0, opens: [] as number[] };
  const open = (offset: number) => {
    served.opens.push(offset);
    return Promise.resolve(
      Readable.from(
        (function* () {
          for (let start = offset; start < bytes.length; start += chunk) {
            const part = bytes.subarray(start, start + chunk);
            served.bytes += part.length;
            yield part;
          }
        })(),
        { objectMode: true },
      ),
    );
  };
  return { open, served };
}

/** Events in a form cheap to compare: jest compares byte arrays one element at a time. */
const digest = (events: readonly CaptureEvent[]) =>
  events.map((event) => `${event.sequenceNumber} ${event.enqueuedTimeUtc} ${Buffer.from(event.body ?? []).toString('hex')}`);

async function collect(blocks: AsyncGenerator<CaptureBlock> | null): Promise<CaptureBlock[]> {
  const all: CaptureBlock[] = [];
  for await (const block of blocks!) all.push(block);
  return all;
}

describe('openCaptureBlocks', () => {
  it("yields the same events as the whole-file decoder, whatever the chunk size, with each block's offsets", async () => {
    const bytes = await bigFile(1500);
    const whole = await decodeCaptureFile(bytes);
    for (const chunk of [61, 4096, bytes.length]) {
      const blocks = await collect(await openCaptureBlocks(opener(bytes, chunk).open));
      expect(blocks.length).toBeGreaterThan(3);
      expect(digest(blocks.flatMap((block) => block.events))).toEqual(digest(whole.events));
      blocks.slice(1).forEach((block, index) => expect(block.offset).toBe(blocks[index]!.end));
      expect(blocks.at(-1)!.end).toBe(bytes.length);
    }
  });

  it('decodes files written by someone else (the documented schema, no compression)', async () => {
    for (const name of ['documented-schema.avro', 'reordered-fields.avro']) {
      const bytes = readFileSync(join(__dirname, '..', '..', 'fixtures', 'capture', name));
      const blocks = await collect(await openCaptureBlocks(opener(bytes, 5).open));
      expect(blocks.flatMap((block) => block.events)).toEqual((await decodeCaptureFile(bytes)).events);
    }
  });

  it('resumes at a block offset, reading the header from the start and then only from there', async () => {
    const bytes = await bigFile(1500);
    const all = await collect(await openCaptureBlocks(opener(bytes, 4096).open));
    const from = all[2]!.offset;
    const { open, served } = opener(bytes, 4096);
    const rest = await collect(await openCaptureBlocks(open, from));
    expect(digest(rest.flatMap((block) => block.events))).toEqual(digest(all.slice(2).flatMap((block) => block.events)));
    expect(served.opens).toEqual([0, from]);
  });

  it('reads no further than the block it hands out: a stopped reader has pulled about one block', async () => {
    const bytes = await bigFile(3000);
    const { open, served } = opener(bytes, 4096);
    const blocks = (await openCaptureBlocks(open))!;
    const first = await blocks.next();
    await blocks.return(undefined);
    const firstBlock = first.value as CaptureBlock;
    expect(served.bytes).toBeLessThan(firstBlock.end + 2 * 4096 + 4096);
    expect(served.bytes).toBeLessThan(bytes.length / 4);
  });

  it('hands out the complete blocks of a file cut short, then fails naming the cut', async () => {
    const bytes = await bigFile(1500);
    const all = await collect(await openCaptureBlocks(opener(bytes, 4096).open));
    const cut = bytes.subarray(0, all[3]!.offset + 100);
    const seen: CaptureBlock[] = [];
    const reading = (async () => {
      for await (const block of (await openCaptureBlocks(opener(cut, 4096).open))!) seen.push(block);
    })();
    await expect(reading).rejects.toThrow(CaptureFormatError);
    await expect(reading).rejects.toThrow(/truncated Avro container: the block at byte \d+ is cut short/);
    expect(seen).toHaveLength(3);
  });

  it('refuses what is not a Capture file, and a block whose sync marker is wrong', async () => {
    await expect(openCaptureBlocks(opener(Buffer.from('PK\u0003\u0004 a zip'), 4).open)).rejects.toThrow(/no "Obj\\x01" magic/);
    const bytes = Buffer.from(await bigFile(10));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await expect(collect(await openCaptureBlocks(opener(bytes, 4096).open))).rejects.toThrow(/invalid sync marker/);
  });

  it('answers null for a file that does not exist', async () => {
    expect(await openCaptureBlocks(() => Promise.resolve(null))).toBeNull();
  });
});

/** Event Hubs (Standard): detections packed per camera into events of at most 64 KB, throughput units, partitions. */
import {
  EVENT_HUBS_BILLING_UNIT_BYTES,
  EVENT_HUBS_STANDARD_MAX_PARTITIONS,
  EVENT_HUBS_STANDARD_MAX_TU,
  PACKED_BODY_BYTES,
  TU_EGRESS_EVENTS,
  TU_EGRESS_MB,
  TU_INGRESS_EVENTS,
  TU_INGRESS_MB,
} from './constants';
import { expectedDistinct, fmt, nextPowerOfTwo, zipf } from './helpers';
import type { CapacityInputs } from './inputs';
import type { Section } from './types';

export interface EventHubsModel {
  /** Event Hubs events per second after packing. */
  readonly messages: number;
  readonly messageBytes: number;
  readonly detectionsPerMessage: number;
  readonly ingressMb: number;
  /** 64 KB billing units per second. */
  readonly billedEvents: number;
  readonly throughputUnits: number;
  readonly autoInflateMax: number;
  readonly partitions: number;
  readonly ingestInstances: number;
  readonly ingestBatch: number;
  readonly ingestInvocations: number;
  readonly section: Section;
  readonly warnings: readonly string[];
}

interface Packing {
  readonly eventsPerPost: number;
  readonly messages: number;
  readonly ingressMb: number;
}

/** A JSON array of n detections: n bodies, n - 1 commas and two brackets. */
const arrayBytes = (detections: number, eventBytes: number) => detections * (eventBytes + 1) + 1;

/** POST /api/events packs each camera's detections into as few events under 64 KB as hold them. */
function pack(inputs: CapacityInputs, camerasPerPost: number): Packing {
  const perEvent = Math.floor((PACKED_BODY_BYTES - 1) / (inputs.eventBytes + 1));
  const cameras = Math.min(camerasPerPost, inputs.postBatchSize);
  const perCamera = inputs.postBatchSize / cameras;
  const eventsPerPost = cameras * Math.ceil(perCamera / perEvent - 1e-9);
  const posts = inputs.eventsPerSecond / inputs.postBatchSize;
  const bytesPerPost = arrayBytes(inputs.postBatchSize, inputs.eventBytes) + (eventsPerPost - 1);
  return { eventsPerPost, messages: posts * eventsPerPost, ingressMb: (posts * bytesPerPost) / 1e6 };
}

function unitsFor(ingressMb: number, messages: number): { ingress: number; egress: number; units: number } {
  const ingress = Math.max(ingressMb / TU_INGRESS_MB, messages / TU_INGRESS_EVENTS);
  // One reader (the Functions consumer group); Capture uses no egress quota.
  const egress = Math.max(ingressMb / TU_EGRESS_MB, messages / TU_EGRESS_EVENTS);
  return { ingress, egress, units: Math.max(1, Math.ceil(Math.max(ingress, egress) - 1e-9)) };
}

export function modelEventHubs(inputs: CapacityInputs): EventHubsModel {
  const warnings: string[] = [];
  const packed = pack(inputs, inputs.camerasPerPost);
  const { messages, ingressMb } = packed;
  const messageBytes = (ingressMb * 1e6) / messages;
  const billedEvents = messages * Math.ceil(messageBytes / EVENT_HUBS_BILLING_UNIT_BYTES - 1e-9);
  const tu = unitsFor(ingressMb, messages);
  const throughputUnits = tu.units;
  // The simulator mixes every camera in each POST: the same packing then yields an event per camera present.
  const cameraP = zipf(inputs.locations, inputs.skew).flatMap((p) =>
    Array<number>(inputs.camerasPerLocation).fill(p / inputs.camerasPerLocation),
  );
  const mixed = pack(inputs, expectedDistinct(cameraP, inputs.postBatchSize));
  const mixedUnits = unitsFor(mixed.ingressMb, mixed.messages).units;
  if (throughputUnits > EVENT_HUBS_STANDARD_MAX_TU)
    warnings.push(`${throughputUnits} throughput units exceed the Standard tier's ${EVENT_HUBS_STANDARD_MAX_TU}: use Premium.`);

  const ingestInstances = Math.max(1, Math.ceil(inputs.eventsPerSecond / inputs.ingestEventsPerInstance));
  // Room to catch up: an instance per partition at most, so partitions ≥ instances × headroom.
  const partitions =
    inputs.partitions ??
    Math.min(
      EVENT_HUBS_STANDARD_MAX_PARTITIONS,
      nextPowerOfTwo(Math.max(4, throughputUnits, Math.ceil(ingestInstances * inputs.headroom))),
    );
  if (partitions < ingestInstances)
    warnings.push(
      `${ingestInstances} ingest instances are needed but ${partitions} partitions allow at most ${partitions}: raise --partitions.`,
    );
  const ingestBatch = Math.max(1, Math.min(inputs.ingestBatchSize, (messages / partitions) * inputs.ingestMaxWaitSeconds));
  const autoInflateMax = Math.max(throughputUnits + 1, Math.ceil(throughputUnits * inputs.headroom));
  const detectionsPerMessage = inputs.eventsPerSecond / messages;

  const section: Section = {
    title: 'Event Hubs (Standard)',
    figures: [
      {
        name: 'Event Hubs events',
        value: messages,
        unit: 'events/s',
        basis: `POSTs of ${inputs.postBatchSize} detections from ${inputs.camerasPerPost} cameras (assumption: a location's cameras post together), each camera's detections packed into events of ≤ 64 KB: ${fmt(packed.eventsPerPost)} events per POST, ${fmt(detectionsPerMessage)} detections each`,
      },
      {
        name: 'ingress',
        value: ingressMb,
        unit: 'MB/s',
        basis: `${fmt(messageBytes)} B per Event Hubs event (JSON array of ${inputs.eventBytes} B detections)`,
      },
      {
        name: 'billed ingress events',
        value: billedEvents,
        unit: 'events/s',
        basis: 'each event billed per started 64 KB (Event Hubs FAQ)',
      },
      {
        name: 'throughput units',
        value: throughputUnits,
        unit: 'TU',
        basis: `max of ingress (1 MB/s or 1,000 events/s per TU: ${fmt(tu.ingress, 2)}) and egress to one consumer group (2 MB/s or 4,096 events/s per TU: ${fmt(tu.egress, 2)}); Capture uses no egress quota. With every camera mixed in each POST (as npm run simulate sends to /api/events): ${fmt(mixed.messages)} events/s, ${mixedUnits} TU`,
      },
      {
        name: 'auto-inflate max',
        value: autoInflateMax,
        unit: 'TU',
        basis: `TU × ${inputs.headroom} headroom, at least one more: room to catch up after an outage (auto-inflate does not scale back down by itself)`,
      },
      {
        name: 'partitions',
        value: partitions,
        unit: 'partitions',
        basis:
          inputs.partitions === undefined
            ? `power of two ≥ the TUs and ${ingestInstances} ingest instances × ${inputs.headroom} headroom (an instance per partition at most), Standard max 32; partition key = camera`
            : 'input',
      },
      {
        name: 'ingest batch',
        value: ingestBatch,
        unit: 'events/invocation',
        basis: `maxEventBatchSize ${inputs.ingestBatchSize}, or what one partition receives in maxWaitTime ${inputs.ingestMaxWaitSeconds} s (${fmt(ingestBatch * detectionsPerMessage)} detections)`,
      },
    ],
  };
  return {
    messages,
    messageBytes,
    detectionsPerMessage,
    ingressMb,
    billedEvents,
    throughputUnits,
    autoInflateMax,
    partitions,
    ingestInstances,
    ingestBatch,
    ingestInvocations: messages / ingestBatch,
    section,
    warnings,
  };
}

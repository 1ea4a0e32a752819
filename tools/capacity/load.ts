import type { CapacityInputs } from './inputs';
import type { Section } from './types';

export interface Load {
  readonly eps: number;
  readonly valid: number;
  readonly duplicates: number;
  readonly stored: number;
  readonly section: Section;
}

export function modelLoad(inputs: CapacityInputs): Load {
  const eps = inputs.eventsPerSecond;
  const valid = eps * (1 - inputs.invalidRate);
  const duplicates = valid * inputs.duplicateRate;
  const stored = valid - duplicates;
  return {
    eps,
    valid,
    duplicates,
    stored,
    section: {
      title: 'Load',
      figures: [
        { name: 'events received', value: eps, unit: 'events/s', basis: 'input: detections, duplicates and invalid ones included' },
        { name: 'valid events', value: valid, unit: 'events/s', basis: `invalid rate ${inputs.invalidRate}` },
        {
          name: 'duplicates',
          value: duplicates,
          unit: 'events/s',
          basis: `duplicate rate ${inputs.duplicateRate} of valid events; all reach the store (copies inside one batch are settled in memory, ignored here)`,
        },
        {
          name: 'stored detections',
          value: stored,
          unit: 'changes/s',
          basis: 'valid minus duplicates: creates in the dedup container and changes on its feed',
        },
      ],
    },
  };
}

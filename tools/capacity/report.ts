/** Text output: the report, the per-operation table next to measured figures, the KQL datatable of the model's figures. */
import { fmt } from './helpers';
import type { CapacityResult } from './types';

function sectionLines(result: CapacityResult): string[] {
  const lines: string[] = [];
  for (const section of result.sections) {
    lines.push(`== ${section.title}`);
    const width = Math.max(...section.figures.map((figure) => figure.name.length));
    for (const figure of section.figures) {
      const digits = Math.abs(figure.value) < 10 && figure.value !== Math.round(figure.value) ? 2 : 0;
      const value = `${fmt(figure.value, digits)} ${figure.unit}`;
      lines.push(`  ${figure.name.padEnd(width)}  ${value.padStart(22)}   ${figure.basis}`);
    }
    lines.push('');
  }
  return lines;
}

/** Per operation: requests, RU each and RU per stored detection; what infra/monitoring/ru-by-operation.kql measures. */
export function operationLines(result: CapacityResult): string[] {
  const lines = ['== RU per stored detection by operation (the KQL query shows the measured figures beside these)'];
  lines.push(`  ${'operation'.padEnd(20)} ${'requests/s'.padStart(11)} ${'RU each'.padStart(8)} ${'RU/detection'.padStart(13)}  source`);
  for (const op of result.operations) {
    const source = op.measured ? 'measured' : op.visibleToCode ? 'model (the code records it)' : 'model only (invisible to the code)';
    lines.push(
      `  ${op.operation.padEnd(20)} ${fmt(op.requestsPerSecond, 1).padStart(11)} ${fmt(op.ruPerRequest, 2).padStart(8)} ${fmt(op.ruPerStoredDetection, 3).padStart(13)}  ${source}`,
    );
  }
  lines.push('');
  return lines;
}

export function formatReport(result: CapacityResult, ignored: readonly string[] = []): string {
  const lines = sectionLines(result);
  lines.push(...operationLines(result));
  lines.push('== Recommended autoscale max RU/s (infra/main.bicepparam)');
  for (const container of result.containers)
    lines.push(
      `  ${container.name.padEnd(9)} ${fmt(container.autoscaleMaxRu).padStart(9)} RU/s   (need ${fmt(container.ruPerSecond)} RU/s, TTL deletes ${fmt(container.ttlDeleteRuPerSecond)} RU/s)`,
    );
  lines.push('', '== Bicep parameters from this model (infra/main.bicepparam)');
  for (const [name, value] of Object.entries(result.bicep)) lines.push(`  ${name} = ${String(value)}`);
  if (ignored.length > 0) lines.push('', `== Measured operations the model does not know (ignored): ${ignored.join(', ')}`);
  if (result.warnings.length > 0) {
    lines.push('', '== Warnings');
    for (const warning of result.warnings) lines.push(`  ! ${warning}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The model's RU per stored detection per operation, as the KQL `datatable` rows (3 decimals). */
export function kqlModelRows(result: CapacityResult): string {
  return result.operations.map((op) => `    "${op.operation}", ${op.ruPerStoredDetection.toFixed(3)}`).join(',\n');
}

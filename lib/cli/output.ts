/** `-o table|json|yaml`, as helm's read commands and summaries print. */
import { Option } from 'commander';
import { stringify } from 'yaml';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const outputOption = (): Option => new Option('-o, --output <format>', 'prints the output in the given format').choices(OUTPUT_FORMATS).default('table');

/** The data as JSON or YAML (helm indents JSON by nothing; people read it, so two spaces). */
export function structured(format: Exclude<OutputFormat, 'table'>, data: unknown): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data);
}

/** Writes to stdout: the table (built only when asked for) or the data. */
export function printOutput(format: OutputFormat, data: unknown, table: () => string): void {
  process.stdout.write(format === 'table' ? table() : structured(format, data));
}

/** Builds the configured sources (drivers/) for a configuration-driven run. */
import type { Logger } from '../../drivers/core/log.ts';
import type { ReadingSource } from '../../drivers/core/reading.ts';
import type { AgentConfig } from '../config/schema.ts';
import { CodedError } from '../../drivers/core/coded-error.ts';

export async function createSources(cfg: AgentConfig, _logger: Logger): Promise<ReadingSource[]> {
  const out: ReadingSource[] = [];
  for (const s of cfg.sources) {
    throw new CodedError('SOURCE_UNAVAILABLE', `source ${s.id}: type ${s.type} is not wired into the runtime yet`);
  }
  return out;
}

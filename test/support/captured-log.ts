import { createLogger, type Logger } from '../../core/log.ts';

/** One JSON line of the project's logger, with the fields the failure tests look at. */
export interface LoggedLine {
  level: string;
  msg: string;
  code?: string;
  where?: string;
  /** The background task or source a failure came from. */
  task?: string;
  source?: string;
  error?: { name: string; message?: string };
}

/** A logger at info that parses each line it writes into `lines`, for a test asserting what was logged. */
export function capturedLog(): { lines: LoggedLine[]; logger: Logger } {
  const lines: LoggedLine[] = [];
  return { lines, logger: createLogger('t', 'info', (l) => void lines.push(JSON.parse(l) as LoggedLine)) };
}

import { pino, type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The process logger: JSON lines on stdout, level names instead of numbers, ISO times.
 * Created once in main and handed to whatever needs it; nothing logs through a global.
 */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  // stdout written asynchronously: lines that come while a write is under way go out
  // together in the next one, and the write itself runs off the event loop. Pending lines
  // are written before a process that ends normally exits (SIGTERM drain included).
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

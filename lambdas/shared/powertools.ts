/**
 * The one Powertools logger of every function (service `helm-sfn`, level from
 * POWERTOOLS_LOG_LEVEL), and the engine's narrow Logger on top of it. Never log payloads,
 * values or Secret data: the engine logs names, counts and states only.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Logger as EngineLogger } from '../../lib/engine/deps';

export const logger = new Logger({ serviceName: 'helm-sfn' });

export function engineLogger(log: Logger = logger): EngineLogger {
  return {
    debug: (message, fields) => log.debug(message, { ...fields }),
    info: (message, fields) => log.info(message, { ...fields }),
    warn: (message, fields) => log.warn(message, { ...fields }),
    error: (message, fields) => log.error(message, { ...fields }),
  };
}

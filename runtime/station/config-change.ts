/** A config change from central (`config` command) or a technician (`config.apply`): validated, written, applied live where it can be. */
import { applyConfig } from '../config/apply.js';
import type { StationContext } from './context.js';

export function applyConfigChange(ctx: Pick<StationContext, 'configFile' | 'config' | 'logger'>, candidate: unknown) {
  return applyConfig({
    file: ctx.configFile,
    current: ctx.config,
    candidate,
    applyLive: (pointer, value) => {
      if (pointer === '/logging/level' && typeof value === 'string') {
        ctx.logger.level = value;
        return true;
      }
      return false;
    },
  });
}

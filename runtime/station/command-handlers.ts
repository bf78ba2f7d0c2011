/** What central's signed commands (`cmd/{name}`, runtime/link/commands.ts) do on this station. */
import { StationError } from '../kernel/errors.js';
import type { CommandHandler, CommandName } from '../link/commands.js';
import type { StationContext } from './context.js';
import { stationHealthy } from './status.js';

export function centralCommandHandlers(ctx: StationContext): Partial<Record<CommandName, CommandHandler>> {
  const { parts, maintenance, announcer } = ctx;
  return {
    maintenance: async (args) => {
      if (typeof args.on !== 'boolean') throw new StationError('CMD_REJECTED', 'args.on must be true or false');
      maintenance.set(args.on, typeof args.reason === 'string' ? args.reason : undefined);
      return { on: maintenance.on };
    },
    selftest: async () => ({ healthy: stationHealthy(ctx), devices: parts.hub?.statuses() ?? [], components: ctx.lifecycle.reports() }),
    logs: async (args) => {
      const lines = typeof args.lines === 'number' && Number.isInteger(args.lines) ? Math.min(Math.max(args.lines, 1), 5000) : 200;
      return { lines: ctx.logBuffer.tail(lines) };
    },
    rebirth: async () => {
      await announcer.announce();
      return { bootSeq: parts.centralLink().bootSeq };
    },
    restart: async () => {
      if (!ctx.requestRestart) throw new StationError('CMD_REJECTED', 'this station cannot restart itself');
      // Answer first; the restart begins once the answer is on its way.
      ctx.clock.setTimeout(() => ctx.requestRestart?.(), 500);
      return { restarting: true };
    },
    config: async (args) => ctx.configChanges.desired.handle(args),
    flows: async (args) => {
      const files = args.files;
      if (!Array.isArray(files) || !files.every((f) => typeof f?.name === 'string' && typeof f?.text === 'string')) {
        throw new StationError('CMD_REJECTED', 'args.files must be a list of {name, text}');
      }
      const result = await parts.flowService().applyBundle(files as { name: string; text: string }[]);
      if (!result.ok) throw new StationError('FLOW_INVALID', result.problems.map((p) => `${p.file} ${p.path || '/'}: ${p.reason}`).join('\n'));
      await announcer.announce();
      return result;
    },
    analytics: async () => ({ sent: await ctx.analytics.sendNow() }),
  };
}

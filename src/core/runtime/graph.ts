import { MAIN, type Topology } from './topology.js';

/** The topology as text: workers by manager, the placement (which actors share a worker), then who calls whom. */
export function describeTopology(topology: Topology): string {
  const lines: string[] = ['workers:'];
  const byManager = new Map<string, string[]>();
  for (const actor of topology.actors.values()) {
    const list = byManager.get(actor.manager) ?? [];
    list.push(`${actor.name} (${actor.key}, ${actor.backend})`);
    byManager.set(actor.manager, list);
  }
  for (const [manager, actors] of byManager) lines.push(`  ${manager}: ${actors.join(', ')}`);
  lines.push('placement:');
  const threads = new Map<string, string[]>();
  for (const [worker, actors] of topology.workers) {
    const thread = topology.threadOf(actors[0]!.name);
    const where = thread === MAIN ? `${MAIN} thread` : `${worker} (${actors[0]!.backend})`;
    threads.set(where, [...(threads.get(where) ?? []), ...actors.map((a) => a.name)]);
  }
  for (const [where, actors] of threads) lines.push(`  ${where}: ${actors.join(', ')}`);
  lines.push('channels:');
  const rpc = [...topology.channels.values()].filter((c) => c.kind === 'rpc');
  for (const channel of rpc) lines.push(`  ${channel.client} -> ${channel.server}${topology.isDirect(channel) ? ' (direct call)' : ''}`);
  const logging = [...topology.channels.values()].filter((c) => c.kind === 'log').map((c) => c.client);
  if (logging.length) lines.push(`  log: ${logging.join(', ')} -> logger`);
  lines.push(`error links: ${[...topology.actors.keys()].join(', ')} -> ${MAIN}`);
  return lines.join('\n');
}

import type cliProgress from 'cli-progress';
import { forTerminal } from '../../api/output.js';
import { requireOnUse } from '../../core/require-on-use.js';
import type { FolderProgress, Remote, SyncFolder } from '../../api/index.js';

/**
 * A progress bar per folder being copied, on a TTY (standard error). Polls
 * the engines a few times a second; a request costs about 0.1 ms.
 */
export class ProgressBars {
  private readonly bars = (() => {
    const { MultiBar, Presets } = requireOnUse('cli-progress') as typeof cliProgress;
    return new MultiBar(
      { format: ' {bar} {percentage}% | {value}/{total} msgs | {mb} MB | {folder}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
      Presets.shades_classic,
    );
  })();
  private readonly byEngine = new Map<string, { folder: string; bar: cliProgress.SingleBar }>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly engines: Record<string, Remote<SyncFolder>>) {
    this.timer = setInterval(() => void this.poll(), 250);
  }

  private async poll(): Promise<void> {
    await Promise.all(
      Object.entries(this.engines).map(async ([name, engine]) => {
        const progress = await engine.progress().catch(() => undefined);
        this.update(name, progress);
      }),
    );
  }

  private update(engine: string, progress: FolderProgress | undefined): void {
    const shown = this.byEngine.get(engine);
    if (!progress || progress.total === 0) return;
    const payload = { folder: forTerminal(progress.folder), mb: (progress.bytes / 1e6).toFixed(1) };
    if (shown && shown.folder === progress.folder) {
      shown.bar.setTotal(progress.total);
      shown.bar.update(progress.done, payload);
      return;
    }
    this.byEngine.set(engine, { folder: progress.folder, bar: this.bars.create(progress.total, progress.done, payload) });
  }

  stop(): void {
    clearInterval(this.timer);
    for (const { bar } of this.byEngine.values()) bar.update(bar.getTotal());
    this.bars.stop();
  }
}

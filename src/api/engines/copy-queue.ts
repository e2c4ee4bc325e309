import type { PlanStep } from '../../core/sync/index.js';
import type { Side } from '../types.js';
import { FlagLists } from './flag-lists.js';

/**
 * The copy steps from one side still to do, held compactly: a folder's
 * pending copies live as long as its copy does, and as PlanSteps they cost
 * about 500 bytes each (six objects and arrays per step), so that memory grew
 * with the folder. A plain copy (a message no pair holds, copied with its
 * flags, nothing known of it but its id: every copy of an initial mirror or
 * migration) is held as its id and its flag list, the list shared with every
 * other message of the same flags; any other step as it is. A step is built
 * again, as the planner made it, when it is taken.
 */
export class CopyQueue {
  /** A plain copy's source id, or the step itself. */
  private readonly entries: (string | PlanStep)[] = [];
  /** A plain copy's flags (shared), by the index of its entry; undefined for a step held whole. */
  private readonly flags: (readonly string[] | undefined)[] = [];
  private readonly flagLists = new FlagLists();

  constructor(
    readonly from: Side,
    steps: readonly PlanStep[] = [],
  ) {
    this.push(steps);
  }

  get length(): number {
    return this.entries.length;
  }

  /** Steps held whole (not plain copies): what costs memory per step. */
  get wholeSteps(): number {
    return this.entries.filter((entry) => typeof entry !== 'string').length;
  }

  /** The source id of the copy at `index`. */
  idAt(index: number): string {
    const entry = this.entries[index]!;
    return typeof entry === 'string' ? entry : entry.copy!.id;
  }

  /** Adds steps at the end. */
  push(steps: readonly PlanStep[]): void {
    for (const step of steps) {
      this.entries.push(this.entry(step));
      this.flags.push(this.plainFlags(step));
    }
  }

  /** Puts steps back at the front (taken and not done). */
  unshift(steps: readonly PlanStep[]): void {
    this.entries.unshift(...steps.map((step) => this.entry(step)));
    this.flags.unshift(...steps.map((step) => this.plainFlags(step)));
  }

  /** Takes `count` steps off from `start`, as the planner made them. */
  take(start: number, count: number): PlanStep[] {
    const flags = this.flags.splice(start, count);
    return this.entries.splice(start, count).map((entry, i) => (typeof entry === 'string' ? this.plainStep(entry, flags[i]!) : entry));
  }

  /** Drops the steps whose source id fails `keep`; returns their ids. One pass, in place: a folder's queue can hold all its messages. */
  keepOnly(keep: (id: string) => boolean): string[] {
    const dropped: string[] = [];
    let kept = 0;
    for (let i = 0; i < this.entries.length; i++) {
      const id = this.idAt(i);
      if (!keep(id)) {
        dropped.push(id);
        continue;
      }
      this.entries[kept] = this.entries[i]!;
      this.flags[kept] = this.flags[i];
      kept++;
    }
    this.entries.length = kept;
    this.flags.length = kept;
    return dropped;
  }

  clear(): void {
    this.entries.length = 0;
    this.flags.length = 0;
  }

  private entry(step: PlanStep): string | PlanStep {
    return this.isPlain(step) ? step.copy!.id : step;
  }

  private plainFlags(step: PlanStep): readonly string[] | undefined {
    return this.isPlain(step) ? this.flagLists.of(step.copy!.flags) : undefined;
  }

  /** A copy that `plainStep` builds again exactly: nothing but the message's id and flags, the pair to be made of them. */
  private isPlain(step: PlanStep): boolean {
    const { copy, becomes } = step;
    return (
      copy !== undefined &&
      becomes !== undefined &&
      copy.from === this.from &&
      Object.keys(step).length === 4 &&
      step.setFlags.length === 0 &&
      step.delete.length === 0 &&
      Object.keys(copy).length === 3 &&
      Object.keys(becomes).length === 2 &&
      becomes[this.from] === copy.id &&
      sameList(becomes.flags, copy.flags)
    );
  }

  private plainStep(id: string, flags: readonly string[]): PlanStep {
    return { setFlags: [], delete: [], becomes: { flags: [...flags], [this.from]: id }, copy: { from: this.from, id, flags: [...flags] } };
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

// The run summaries (sync/mirror and migrate): what was skipped is listed, and keeps the run from being complete.
import { describe, expect, it } from 'vitest';
import { emptyFolderReport, ExitCode, registerSecret, type AccountReport, type FolderReport, type SkippedItem } from '../../src/api/index.js';
import { jsonLine } from '../../src/contrib/cli/json-line.js';
import { exitCodeOf, formatSummary, summarize } from '../../src/contrib/cli/summary.js';
import { formatMigrationSummary, migrateExitCode, summarizeMigration } from '../../src/apps/migrate/summary.js';
import type { MigrateFolderReport } from '../../src/apps/migrate/migrate-folder.js';

const OUTCOME = { complete: 'complete', incomplete: 'INCOMPLETE' };

function account(folders: AccountReport['folders'], skipped: SkippedItem[] = []): AccountReport {
  return { folders, createdFolders: [], removedFolders: [], keptFolders: [], errors: [], skipped, seconds: 1 };
}

function verified(report: MigrateFolderReport): MigrateFolderReport {
  return { ...report, verification: { selected: 1, present: 1, missing: 0, notSelected: 0, duplicates: { source: 0, target: 0 }, withoutMessageId: 0 } };
}

describe('skipped items in the summary', () => {
  const folderSkip: SkippedItem = { folder: 'INBOX', id: '7', reason: 'the server sent no body for it' };
  const accountSkip: SkippedItem = { folder: 'a.b', reason: 'its name holds the server separator' };

  it('a run with nothing skipped and no error is complete, exit 0', () => {
    const summary = summarize([account([emptyFolderReport('INBOX', 'INBOX')])], 1);
    expect(summary).toMatchObject({ complete: true, skipped: [], errors: [] });
    expect(exitCodeOf(summary)).toBe(ExitCode.OK);
  });

  it('lists the account and folder skips with their reasons; the run is partial', () => {
    const folder = { ...emptyFolderReport('INBOX', 'INBOX'), skipped: [folderSkip] };
    const summary = summarize([account([folder], [accountSkip])], 1);
    expect(summary.skipped).toEqual([accountSkip, folderSkip]);
    expect(summary.complete).toBe(false);
    expect(exitCodeOf(summary)).toBe(ExitCode.PARTIAL);
    const text = formatSummary('title', summary, OUTCOME);
    expect(text).toContain('  skipped          2');
    expect(text).toContain('    a.b: its name holds the server separator');
    expect(text).toContain('    INBOX (message 7): the server sent no body for it');
    expect(text).toMatch(/result +INCOMPLETE: 2 skipped \(each with why and what to do, above\); everything else is done$/m);
  });

  it('a refused login or a state in use says what to fix before running again; other failures keep the app\'s text', () => {
    const failed = (code: string) => summarize([{ ...account([]), errors: [{ code, message: 'm' }] }], 1);
    expect(formatSummary('title', failed('EAUTH'), OUTCOME)).toMatch(/result +INCOMPLETE: a login was refused; fix the user name, password or token/);
    expect(formatSummary('title', failed('ESTATELOCKED'), OUTCOME)).toMatch(/result +INCOMPLETE: the state is in use by another run or unreadable/);
    expect(formatSummary('title', failed('ENETWORK'), OUTCOME)).toMatch(/result +INCOMPLETE$/m);
    expect(formatSummary('title', failed('ENOSPACE'), OUTCOME)).toMatch(/result +INCOMPLETE: a local disk is full or read-only/);
    expect(exitCodeOf(failed('ECONFIG'))).toBe(ExitCode.USAGE);
    expect(formatSummary('title', failed('ECONFIG'), OUTCOME)).toMatch(/result +INCOMPLETE: a setting is wrong \(see the errors\); fix it, then run again$/m);
  });

  it('folders kept after their peer was deleted are named, with the side they are kept on; none, no line', () => {
    const kept = formatSummary('title', summarize([{ ...account([]), keptFolders: ['right:Old', 'left:Spam'] }], 1), OUTCOME);
    expect(kept).toMatch(/^ {2}kept folders +Old \(right\), Spam \(left\): deleted on the other side since an earlier run; kept, and no longer synced$/m);
    expect(formatSummary('title', summarize([account([])], 1), OUTCOME)).not.toContain('kept folders');
  });

  it('one cause met by several folders is one line naming them; different causes keep their lines', () => {
    const full = { code: 'ENOSPACE', message: 'the state database /s cannot grow' };
    const folders = ['Archive', 'INBOX', 'Sent'].map((name): FolderReport => ({ ...emptyFolderReport(name, name), errors: [{ folder: name, ...full }] }));
    folders[1]!.errors.push({ folder: 'INBOX', message: 'a message came back empty' });
    const text = formatSummary('title', summarize([account(folders)], 1), OUTCOME);
    expect(text).toContain('  errors           4');
    expect(text).toContain('    Archive, INBOX, Sent: [ENOSPACE] the state database /s cannot grow');
    expect(text).toContain('    INBOX: a message came back empty');
    expect(text.match(/cannot grow/g)).toHaveLength(1);
  });

  it('a migration with a skipped folder is INCOMPLETE with exit 1, even when every checked message is there', () => {
    const folder = verified(emptyFolderReport('INBOX', 'INBOX'));
    const clean = summarizeMigration([account([folder])], 1, { dryRun: false, justFolders: false });
    expect(clean.complete).toBe(true);
    expect(migrateExitCode(clean)).toBe(ExitCode.OK);
    const summary = summarizeMigration([account([folder], [accountSkip])], 1, { dryRun: false, justFolders: false });
    expect(summary).toMatchObject({ complete: false, skipped: [accountSkip] });
    expect(migrateExitCode(summary)).toBe(ExitCode.PARTIAL);
    const text = formatMigrationSummary('title', summary);
    expect(text).toContain('    a.b: its name holds the server separator');
    expect(text).toMatch(/result +INCOMPLETE: 1 skipped/);
  });

  it('a dry run of a migration that would skip a folder does not exit 0', () => {
    const summary = summarizeMigration([account([emptyFolderReport('INBOX', 'INBOX')], [accountSkip])], 1, { dryRun: true, justFolders: false });
    expect(migrateExitCode(summary)).toBe(ExitCode.PARTIAL);
  });
});

describe('server text in the summary', () => {
  it('reaches the terminal escaped and without secrets; --json keeps the text, without secrets', () => {
    registerSecret('echoed-password-42');
    const folder = {
      ...emptyFolderReport('\u001b]0;owned\u0007Evil', 'Evil'),
      errors: [{ folder: '\u001b]0;owned\u0007Evil', code: 'ESTORE', message: 'create failed: NO echoed-password-42 \u001b[2J\r\n  result           complete' }],
    };
    const summary = summarize([account([folder], [{ folder: 'x\u009b', reason: 'refused' }])], 1);
    for (const text of [formatSummary('title', summary, OUTCOME), formatMigrationSummary('title', summarizeMigration([account([folder])], 1, { dryRun: false, justFolders: false }))]) {
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(text).not.toContain('echoed-password-42');
      expect(text).toContain('\\x1b]0;owned\\x07Evil: [ESTORE] create failed: NO [redacted] \\x1b[2J\\x0d\\x0a  result');
      // The fake result line stays inside its error line: one result line only.
      expect(text.split('\n').filter((line) => /^ +result/.test(line))).toHaveLength(1);
    }
    const json = jsonLine(summary);
    expect(json).not.toContain('echoed-password-42');
    expect(JSON.parse(json).errors[0].folder).toBe('\u001b]0;owned\u0007Evil');
  });
});

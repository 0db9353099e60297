/** Decisions (relabel, quarantine, correct) carried out and recorded in the dataset's journal, and undo/redo. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lsp from '../../protocol/lsp';
import { decodeCsv } from '../engine/dataset/csvCodec';
import { readCsvTable, type CsvTable } from './csv';
import { decisionMessage, decisionsFromPlan, opsFromPlan, undoMessage } from './decide';
import { Journal } from './journal';
import { JournalError, type JournalEntry } from './journalFormat';
import { planQuarantine, planRelabel, type PlanContext } from './plan';
import type { ServerContext, Session } from './session';
import { isInside, uriToPath } from './uris';

/** The server's decision requests over the journal of each session. */
export class Decisions {
  constructor(private readonly ctx: ServerContext) {}

  /**
   * The journal of `s`, opened on first use; a crashed step found on open is rolled back (or, in a journal written
   * for another folder, only reported), and entries that are not confined to the root are ignored and reported.
   */
  private journalOf(s: Session): Journal {
    if (!s.journal) {
      // The one file outside the root a journal entry may patch: the labels CSV the user configured.
      const labelsCsv = (): string | undefined => {
        if (s.csvPath !== undefined) return s.csvPath;
        const configured = this.ctx.settings().labelsCsv;
        return configured ? path.resolve(s.root, configured) : undefined;
      };
      s.journal = Journal.open(s.root, { reviews: this.ctx.deps.reviewStore(s.root, (m) => this.ctx.log(m)), labelsCsv });
      for (const r of s.journal.recovered) {
        this.ctx.log(r.message);
        void this.ctx.connection.window.showWarningMessage(`LabelLint: ${r.message}`);
      }
      for (const m of s.journal.ignored) this.ctx.log(`LabelLint: ${m}`);
      if (s.journal.ignored.length > 0) {
        const n = s.journal.ignored.length;
        void this.ctx.connection.window.showWarningMessage(
          `LabelLint: ${n === 1 ? s.journal.ignored[0] : `${n} entries of ${s.journal.file} were ignored (paths outside the dataset root or malformed); they are not carried out, undone or redone. See the LabelLint output.`}`,
        );
      }
    }
    return s.journal;
  }

  journalState(s: Session): lsp.JournalState {
    if (!this.ctx.trusted()) return { root: s.root, decisions: [] };
    const j = this.journalOf(s);
    return {
      root: s.root,
      undo: j.peekUndo()?.message,
      redo: j.peekRedo()?.message,
      decisions: [...j.decisions().values()].map((d) => ({ path: d.path, action: d.action, label: d.label, newPath: d.newPath })),
    };
  }

  private journalChanged(s: Session): lsp.JournalState {
    const state = this.journalState(s);
    this.ctx.connection.sendNotification(lsp.didChangeJournal, state);
    return state;
  }

  /** The labels CSV bytes as on disk, refusing when the editor holds unsaved changes (they would be lost or clash). */
  private async csvOnDisk(s: Session): Promise<{ abs: string; bytes: Buffer; table: CsvTable | null } | null> {
    if (!s.csvPath) return null;
    const bytes = await fs.promises.readFile(s.csvPath);
    const text = decodeCsv(bytes).text;
    const open = this.ctx.documents.all().find((d) => uriToPath(d.uri) === s.csvPath);
    if (open && open.getText() !== text) {
      throw new JournalError(`${path.basename(s.csvPath)} has unsaved changes in the editor: save or revert it first`);
    }
    return { abs: s.csvPath, bytes, table: readCsvTable(s.root, s.csvPath, text) };
  }

  /** Carries out a decision and records it as one journal entry; refuses (changing nothing) with a reason. */
  async decide(s: Session, params: lsp.DecideParams): Promise<lsp.DecideResult> {
    const nothing = (message: string, refused: lsp.Refusal[] = []): lsp.DecideResult => ({
      applied: [],
      refused,
      message,
      state: this.ctx.trusted() ? this.journalState(s) : { root: s.root, decisions: [] },
    });
    if (!this.ctx.trusted()) return nothing('LabelLint changes nothing in an untrusted workspace.');
    if (!s.result) return nothing('no analysis result yet');
    const result = s.result;
    const images = new Map(result.images.map((im) => [im.path, im]));
    const given = (p: string): string | undefined => images.get(p)?.givenLabel;
    const action = params?.action;
    try {
      if (action === 'correct') {
        const refused: lsp.Refusal[] = [];
        const ok: { path: string; hash: string }[] = [];
        for (const p of Array.isArray(params.paths) ? params.paths : []) {
          const im = typeof p === 'string' ? images.get(p) : undefined;
          if (!im || !isInside(s.root, path.join(s.root, im.path))) refused.push({ path: String(p), reason: 'not an analysed image of this dataset' });
          else if (!ok.some((o) => o.path === im.path)) ok.push({ path: im.path, hash: im.hash });
        }
        if (ok.length === 0) return nothing('nothing to mark correct', refused);
        const decisions = ok.map((o) => ({ path: o.path, action: 'correct' as const }));
        const message = decisionMessage('correct', decisions, given);
        this.journalOf(s).record('correct', message, decisions, ok.map((o) => ({ op: 'review' as const, path: o.path, hash: o.hash })));
        return this.afterDecision(s, ok.map((o) => o.path), refused, message);
      }
      if (action !== 'relabel' && action !== 'quarantine') return nothing(`unknown action '${String(action)}' (relabel, quarantine, correct)`);
      const csv = result.layout === 'csv' ? await this.csvOnDisk(s) : null;
      const ctx: PlanContext = { root: s.root, result, exists: this.ctx.deps.exists, csv: csv?.table ?? null, csvUri: s.csvUri };
      const items = Array.isArray(params.items) ? params.items : [];
      const plan = action === 'relabel' ? planRelabel(ctx, items) : planQuarantine(ctx, Array.isArray(params.paths) ? params.paths : []);
      if (plan.edits.length === 0) return nothing(plan.refused.length ? `not changed: ${plan.refused.map((r) => `${r.path} (${r.reason})`).join('; ')}` : 'nothing to change', [...plan.refused]);
      const labelOf = (p: string): string | undefined => items.find((i) => i.path === p)?.newLabel;
      const decisions = decisionsFromPlan(action, plan, labelOf);
      const message = decisionMessage(action, decisions, given);
      const ops = opsFromPlan(s.root, plan, csv ? { abs: csv.abs, bytes: csv.bytes } : null);
      this.journalOf(s).record(action, message, decisions, ops);
      return this.afterDecision(s, decisions.map((d) => d.path), [...plan.refused], message);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.ctx.log(`LabelLint: decision refused: ${reason}`);
      return nothing(`nothing changed: ${reason}`);
    }
  }

  private afterDecision(s: Session, paths: readonly string[], refused: lsp.Refusal[], message: string): lsp.DecideResult {
    for (const p of paths) s.suppressed.add(p);
    void this.ctx.publish(s);
    return { applied: paths, refused, message, state: this.journalChanged(s) };
  }

  async undoRedo(s: Session, which: 'undo' | 'redo'): Promise<lsp.UndoResult> {
    if (!this.ctx.trusted()) return { done: false, message: 'LabelLint changes nothing in an untrusted workspace.', paths: [], state: { root: s.root, decisions: [] } };
    const j = this.journalOf(s);
    let entry: JournalEntry | null;
    try {
      entry = which === 'undo' ? j.undo() : j.redo();
    } catch (err) {
      const next = which === 'undo' ? j.peekUndo() : j.peekRedo();
      const reason = err instanceof Error ? err.message : String(err);
      return { done: false, message: `Cannot ${which} "${next?.message ?? ''}": ${reason}. Nothing was changed.`, paths: [], state: this.journalState(s) };
    }
    if (!entry) return { done: false, message: `Nothing to ${which}.`, paths: [], state: this.journalState(s) };
    const paths = entry.decisions.map((d) => d.path);
    for (const p of paths) {
      if (which === 'undo') s.suppressed.delete(p);
      else s.suppressed.add(p);
    }
    void this.ctx.publish(s);
    // Moves and CSV edits are seen by the file watcher; a review alone changes no file, so re-run for it.
    if (entry.ops.every((o) => o.op === 'review') && this.ctx.autoAnalyze()) this.ctx.rerunSoon(s.root);
    return { done: true, message: undoMessage(which === 'undo' ? 'Undid' : 'Redid', entry.message, entry.ops), paths, state: this.journalChanged(s) };
  }
}

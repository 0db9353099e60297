/**
 * Keeps one embedder (model + worker threads) warm between analyses, so the re-runs that follow file
 * changes and fixes do not reload the model. Replaced when the settings that shape it change; dropped
 * after a failed run (a broken worker must not fail every later run).
 */
import type { Settings } from '../../protocol/settings';
import type { Embedder } from '../engine/embed';

export class WarmEmbedder {
  private current: { readonly key: string; readonly embedder: Promise<Embedder> } | null = null;

  /** Settings that change the embedder; everything else leaves it warm. */
  static keyOf(s: Settings): string {
    return JSON.stringify([s.model, s.modelPath, s.modelLayers, s.modelPreprocess, s.backend, s.workers, s.batchSize]);
  }

  async get(settings: Settings): Promise<Embedder> {
    const key = WarmEmbedder.keyOf(settings);
    if (this.current?.key !== key) {
      await this.dispose();
      const { createEmbedder, embedderOptionsFromSettings } = await import('../engine/embed');
      const embedder = createEmbedder(embedderOptionsFromSettings(settings));
      this.current = { key, embedder };
      embedder.catch(() => {
        if (this.current?.embedder === embedder) this.current = null;
      });
    }
    return this.current!.embedder;
  }

  async dispose(): Promise<void> {
    const c = this.current;
    this.current = null;
    if (c) await c.embedder.then((e) => e.dispose()).catch(() => undefined);
  }
}

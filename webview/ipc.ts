/**
 * The webview's side of the typed IPC: commands, requests with promised responses, notifications.
 * Talks to the host only through `acquireVsCodeApi()`.
 */
import * as wv from '../protocol/webview.js';

export interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** Requests not answered in this time reject (the host may have been reloaded). */
const REQUEST_TIMEOUT_MS = 60_000;

export class HostConnection {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void; req: wv.IpcRequest<unknown, unknown> }>();
  private readonly handlers: { n: wv.IpcNotification<unknown>; fn: (p: unknown) => void }[] = [];
  readonly api: VsCodeApi;

  constructor(api: VsCodeApi = acquireVsCodeApi()) {
    this.api = api;
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
  }

  command<P>(c: wv.IpcCommand<P>, params: P): void {
    this.api.postMessage(c.create(params));
  }

  request<P, R>(r: wv.IpcRequest<P, R>, params: P): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${r.method}: no answer`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as R);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        req: r as wv.IpcRequest<unknown, unknown>,
      });
      this.api.postMessage(r.create(id, params));
    });
  }

  on<P>(n: wv.IpcNotification<P>, fn: (params: P) => void): void {
    this.handlers.push({ n: n as wv.IpcNotification<unknown>, fn: fn as (p: unknown) => void });
  }

  private receive(msg: unknown): void {
    if (!wv.isRecord(msg)) return;
    if (msg.kind === 'response' && typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p || !p.req.isResponse(msg)) return;
      this.pending.delete(msg.id);
      if (msg.params.error !== undefined) p.reject(new Error(msg.params.error));
      else p.resolve(msg.params.result);
      return;
    }
    for (const h of this.handlers) if (h.n.is(msg)) h.fn(msg.params);
  }
}

/** Batches thumbnail requests (one message per frame) and caches the answers per path. */
export class Thumbnails {
  private readonly cache = new Map<string, Promise<string | null>>();
  private queue: { path: string; resolve: (u: string | null) => void }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: HostConnection) {}

  /** Webview URI of the path's thumbnail, null when none can be made. */
  get(path: string): Promise<string | null> {
    let p = this.cache.get(path);
    if (!p) {
      p = new Promise<string | null>((resolve) => this.queue.push({ path, resolve }));
      this.cache.set(path, p);
      this.timer ??= setTimeout(() => this.flush(), 16);
    }
    return p;
  }

  /** Forget cached answers (a new result may have moved files). */
  reset(): void {
    this.cache.clear();
  }

  private flush(): void {
    this.timer = undefined;
    const batch = this.queue.splice(0, 256);
    if (this.queue.length > 0) this.timer = setTimeout(() => this.flush(), 16);
    if (batch.length === 0) return;
    this.host.request(wv.thumbnails, { paths: batch.map((b) => b.path) }).then(
      (r) => batch.forEach((b) => b.resolve(r.uris[b.path] ?? null)),
      () => batch.forEach((b) => {
        this.cache.delete(b.path); // allow a retry later
        b.resolve(null);
      }),
    );
  }
}

/** Thumbnails of analysed images for the webview (cached files or inline) and for hovers (`data:` URIs). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as lsp from '../../protocol/lsp';
import type { ServerContext, Session } from './session';
import { isInside } from './uris';

/** Thumbnails of the requested images of `s` (the webview): a cached file when trusted and asked to persist, else inline. */
export async function thumbnails(ctx: ServerContext, s: Session, params: lsp.ThumbnailParams): Promise<lsp.ThumbnailResult> {
  const out: Record<string, lsp.ThumbnailResult['thumbs'][string]> = {};
  if (!s.result || !ctx.deps.thumbnails || !Array.isArray(params?.paths)) return { thumbs: out };
  const images = new Map(s.result.images.map((im) => [im.path, im]));
  const items: { rel: string; abs: string; hash: string }[] = [];
  for (const p of params.paths.slice(0, 10_000)) {
    const im = typeof p === 'string' ? images.get(p) : undefined;
    const abs = im ? path.join(s.root, ...im.path.split('/')) : undefined;
    if (!im || !abs || !isInside(s.root, abs)) out[String(p)] = null;
    else items.push({ rel: im.path, abs, hash: im.hash });
  }
  // Untrusted: nothing is written, thumbnails come back inline.
  const persist = params.persist === true && ctx.trusted();
  const got = await ctx.deps.thumbnails(s.root, items, persist);
  items.forEach((it, i) => (out[it.rel] = got[i] ?? null));
  const file = got.find((t) => t?.file)?.file; // every cached file lies in the one thumbnail folder
  return file ? { thumbs: out, dir: path.dirname(file) } : { thumbs: out };
}

/** Where the thumbnails of `s` are kept (the store's state folder rule); null when untrusted (nothing written). */
export async function thumbnailFolder(ctx: ServerContext, s: Session): Promise<lsp.ThumbnailFolderResult> {
  if (!ctx.trusted() || !ctx.deps.thumbnailDir) return { dir: null };
  return { dir: await ctx.deps.thumbnailDir(s.root).catch(() => null) };
}

/** A `data:` URI of the image's cached thumbnail (made on demand), or null. */
export async function thumbDataUri(ctx: ServerContext, s: Session, rel: string): Promise<string | null> {
  const im = s.result?.images.find((x) => x.path === rel);
  if (!im || !ctx.deps.thumbnails) return null;
  const abs = path.join(s.root, ...rel.split('/'));
  if (!isInside(s.root, abs)) return null;
  const [t] = await ctx.deps.thumbnails(s.root, [{ abs, hash: im.hash }], ctx.trusted()).catch(() => [null]);
  if (t?.dataUri) return t.dataUri;
  if (t?.file) {
    try {
      return `data:image/webp;base64,${(await fs.promises.readFile(t.file)).toString('base64')}`;
    } catch {
      return null;
    }
  }
  return null;
}

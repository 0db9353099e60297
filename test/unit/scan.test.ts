import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Inventory, ScanProblem } from '../../protocol/dataset';
import {
  IMAGE_EXTENSIONS,
  compareCodePoints,
  detectLayout,
  globToRegExp,
  isImageFile,
  scanDataset,
} from '../../server/engine/dataset/scan';
import { IMG, makeTree, removeTree } from './helpers/scan-fixtures';
import type { TreeSpec } from './helpers/scan-fixtures';

async function withTree<T>(spec: TreeSpec, fn: (root: string) => Promise<T>): Promise<T> {
  const root = makeTree(spec);
  try {
    return await fn(root);
  } finally {
    removeTree(root);
  }
}

const paths = (inv: Inventory): string[] => inv.items.map((i) => i.path);
const kinds = (inv: Inventory): [string, string][] => inv.problems.map((p: ScanProblem) => [p.kind, p.path]);

test('isImageFile / IMAGE_EXTENSIONS: the listed extensions, any case', () => {
  for (const ext of ['jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp', 'tif', 'tiff']) {
    assert.ok(IMAGE_EXTENSIONS.includes(`.${ext}`));
    assert.ok(isImageFile(`a.${ext}`));
    assert.ok(isImageFile(`dir/A.${ext.toUpperCase()}`));
  }
  assert.ok(!isImageFile('notes.txt'));
  assert.ok(!isImageFile('png'));
  assert.ok(!isImageFile('a.png.txt'));
});

test('compareCodePoints: code-point order, astral characters after the rest of the BMP', () => {
  const sorted = ['b', 'a', '\u{1F431}', '\uFF21', 'ab', 'A'].sort(compareCodePoints);
  assert.deepEqual(sorted, ['A', 'a', 'ab', 'b', '\uFF21', '\u{1F431}']);
});

test('globToRegExp: * and ? stay in one segment, ** spans segments', () => {
  assert.ok(globToRegExp('*.png').test('a.png'));
  assert.ok(!globToRegExp('*.png').test('cats/a.png'));
  assert.ok(globToRegExp('**/*.png').test('cats/a.png'));
  assert.ok(globToRegExp('**/*.png').test('a.png'));
  assert.ok(globToRegExp('cats/**').test('cats/x/y.png'));
  assert.ok(globToRegExp('c?ts/a.png').test('cats/a.png'));
  assert.ok(!globToRegExp('c?ts/a.png').test('c/ts/a.png'));
  assert.ok(globToRegExp('a+(b).png').test('a+(b).png'));
});

test('scanDataset: a missing root or a file root throws an error naming the path', async () => {
  await withTree({ 'file.txt': 'x' }, async (root) => {
    const missing = path.join(root, 'nope');
    await assert.rejects(scanDataset(missing), (e: Error) => e.message.includes(missing) && /does not exist/.test(e.message));
    const file = path.join(root, 'file.txt');
    await assert.rejects(scanDataset(file), (e: Error) => e.message.includes(file) && /not a folder/.test(e.message));
    await assert.rejects(detectLayout(missing), /does not exist/);
  });
});

test('ImageFolder: classes from top folders, nested subfolders belong to their class, sorted output', async () => {
  await withTree(
    {
      'dogs/b.png': IMG,
      'dogs/a.JPG': IMG,
      'cats/deep/er/z.webp': IMG,
      'cats/c.jpeg': 'x',
      'cats/readme.md': 'not an image',
    },
    async (root) => {
      const inv = await scanDataset(root);
      assert.equal(inv.layout, 'imagefolder');
      assert.equal(inv.root, root);
      assert.ok(path.isAbsolute(inv.root));
      assert.equal(inv.csvPath, undefined);
      assert.deepEqual(inv.classes, ['cats', 'dogs']);
      assert.deepEqual(paths(inv), ['cats/c.jpeg', 'cats/deep/er/z.webp', 'dogs/a.JPG', 'dogs/b.png']);
      assert.deepEqual(inv.items.map((i) => i.label), ['cats', 'cats', 'dogs', 'dogs']);
      assert.ok(inv.items.every((i) => i.split === null));
      const c = inv.items[0];
      assert.equal(c.absPath, path.join(root, 'cats', 'c.jpeg'));
      assert.equal(c.size, 1);
      assert.equal(c.mtimeMs, fs.statSync(c.absPath).mtimeMs);
      assert.deepEqual(inv.problems, []);
      assert.equal(inv.nonImageFiles, 1);
      assert.ok(inv.notes?.some((n) => /Skipped 1 file without an image extension/.test(n)));
    },
  );
});

test('ImageFolder with splits: train/valid/validation/test levels, one class across splits', async () => {
  await withTree(
    {
      'train/cat/1.png': IMG,
      'train/cat/2.png': IMG,
      'train/dog/sub/1.png': IMG,
      'train/dog/2.png': IMG,
      'valid/cat/3.png': IMG,
      'validation/dog/3.png': IMG,
      'Test/cat/4.png': IMG,
      'test/dog/4.png': IMG,
      'train/loose.png': IMG,
    },
    async (root) => {
      const inv = await scanDataset(root);
      assert.deepEqual(inv.classes, ['cat', 'dog']);
      assert.deepEqual(
        inv.items.map((i) => [i.path, i.label, i.split]),
        [
          ['Test/cat/4.png', 'cat', 'test'],
          ['test/dog/4.png', 'dog', 'test'],
          ['train/cat/1.png', 'cat', 'train'],
          ['train/cat/2.png', 'cat', 'train'],
          ['train/dog/2.png', 'dog', 'train'],
          ['train/dog/sub/1.png', 'dog', 'train'],
          ['valid/cat/3.png', 'cat', 'val'],
          ['validation/dog/3.png', 'dog', 'val'],
        ],
      );
      assert.deepEqual(inv.problems, []);
      assert.ok(inv.notes?.some((n) => /not inside a class folder.*1 in train\//.test(n)));
      const layout = await detectLayout(root);
      assert.deepEqual(layout, { layout: 'imagefolder', hasSplits: true });
    },
  );
});

test('ImageFolder: when class folders sit next to split folders, split folders are splits', async () => {
  await withTree(
    { 'train/cat/1.png': IMG, 'train/cat/2.png': IMG, 'bird/1.png': IMG, 'bird/2.png': IMG },
    async (root) => {
      const inv = await scanDataset(root);
      assert.deepEqual(inv.classes, ['bird', 'cat']);
      assert.deepEqual(
        inv.items.map((i) => [i.path, i.label, i.split]),
        [
          ['bird/1.png', 'bird', null],
          ['bird/2.png', 'bird', null],
          ['train/cat/1.png', 'cat', 'train'],
          ['train/cat/2.png', 'cat', 'train'],
        ],
      );
      assert.ok(inv.notes?.some((n) => /bird sit next to split folders/.test(n)));
    },
  );
});

test('ignored: hidden files and folders, .labellint/, node_modules, __MACOSX, Thumbs.db', async () => {
  await withTree(
    {
      'cats/a.png': IMG,
      'cats/b.png': IMG,
      'cats/.hidden.png': IMG,
      'cats/.thumbs/c.png': IMG,
      'cats/Thumbs.db': 'x',
      'cats/node_modules/d.png': IMG,
      '.labellint/cache/e.png': IMG,
      '.git/f.png': IMG,
      '__MACOSX/cats/._a.png': IMG,
      'node_modules/pkg/g.png': IMG,
    },
    async (root) => {
      const inv = await scanDataset(root);
      assert.deepEqual(inv.classes, ['cats']);
      assert.deepEqual(paths(inv), ['cats/a.png', 'cats/b.png']);
      assert.deepEqual(inv.problems, []);
      assert.equal(inv.nonImageFiles, 0);
    },
  );
});

test('zero-byte files are reported and skipped with a sentence naming the file', async () => {
  await withTree({ 'cats/x.png': '', 'cats/a.png': IMG, 'cats/b.png': IMG }, async (root) => {
    const inv = await scanDataset(root);
    assert.deepEqual(paths(inv), ['cats/a.png', 'cats/b.png']);
    assert.deepEqual(inv.problems, [{ path: 'cats/x.png', kind: 'zero-byte', message: 'cats/x.png: file is empty (0 bytes); skipped' }]);
  });
});

test('class sizes: one class, a class with one image (kept), an empty class (left out)', async () => {
  await withTree(
    { 'cats/a.png': IMG, 'cats/b.png': IMG, 'dogs/only.png': IMG, 'empty/': null, 'ghosts/notes.txt': 'x', 'zeros/z.png': '' },
    async (root) => {
      const inv = await scanDataset(root);
      assert.deepEqual(inv.classes, ['cats', 'dogs']);
      assert.deepEqual(paths(inv), ['cats/a.png', 'cats/b.png', 'dogs/only.png']);
      assert.deepEqual(kinds(inv), [
        ['small-class', 'dogs'],
        ['empty-class', 'empty'],
        ['empty-class', 'ghosts'],
        ['empty-class', 'zeros'],
        ['zero-byte', 'zeros/z.png'],
      ]);
      assert.match(inv.problems[0].message, /^dogs: class 'dogs' has only 1 image; kept/);
      assert.match(inv.problems[1].message, /^empty: class 'empty' has no usable images; class left out$/);
    },
  );
  await withTree({ 'only/a.png': IMG, 'only/b.png': IMG }, async (root) => {
    const inv = await scanDataset(root);
    assert.deepEqual(inv.classes, ['only']);
    assert.equal(inv.items.length, 2);
    assert.deepEqual(inv.problems, []);
  });
});

test('zero images: empty root and a root of loose images give an empty inventory with notes', async () => {
  await withTree({ 'readme.txt': 'x' }, async (root) => {
    const inv = await scanDataset(root);
    assert.deepEqual(inv.items, []);
    assert.deepEqual(inv.classes, []);
    assert.deepEqual(inv.problems, []);
    assert.ok(inv.notes?.some((n) => n.includes('No usable image files found')));
  });
  await withTree({ 'a.png': IMG, 'b.png': IMG }, async (root) => {
    const inv = await scanDataset(root);
    assert.deepEqual(inv.items, []);
    assert.ok(inv.notes?.some((n) => /not inside a class folder.*2 in the root folder/.test(n)));
  });
});

test('names with spaces, unicode, quotes, commas and newlines work', async () => {
  const spec: TreeSpec = {
    'chats noirs/é 1.png': IMG,
    'chats noirs/"quoted", too.png': IMG,
    'chats noirs/line\nbreak.png': IMG,
    '狗/🐶.jpg': IMG,
    '狗/两.jpg': IMG,
  };
  await withTree(spec, async (root) => {
    const inv = await scanDataset(root);
    assert.deepEqual(inv.classes, ['chats noirs', '狗']);
    assert.deepEqual(paths(inv), [
      'chats noirs/"quoted", too.png',
      'chats noirs/line\nbreak.png',
      'chats noirs/é 1.png',
      '狗/两.jpg',
      '狗/🐶.jpg',
    ]);
    for (const it of inv.items) assert.ok(fs.existsSync(it.absPath));
    assert.deepEqual(inv.problems, []);
  });
  await withTree({ 'cats/line\nbreak.png': '', 'cats/a.png': IMG, 'cats/b.png': IMG }, async (root) => {
    const inv = await scanDataset(root);
    assert.equal(inv.problems[0].message, '"cats/line\\nbreak.png": file is empty (0 bytes); skipped');
  });
});

test('symlinks: a link to an ancestor is a loop, mutual links and broken links are reported, good links followed', async () => {
  await withTree(
    {
      'cats/a.png': IMG,
      'cats/b.png': IMG,
      'cats/up': { symlink: '..' },
      'cats/self': { symlink: '.' },
      'cats/x.png': { symlink: 'y.png' },
      'cats/y.png': { symlink: 'x.png' },
      'cats/gone.png': { symlink: 'nowhere.png' },
      'cats/alias.png': { symlink: 'a.png' },
      'store/d1.png': IMG,
      'store/d2.png': IMG,
      'dogs': { symlink: 'store' },
    },
    async (root) => {
      const inv = await scanDataset(root);
      assert.deepEqual(inv.classes, ['cats', 'dogs', 'store']);
      assert.deepEqual(paths(inv), ['cats/a.png', 'cats/alias.png', 'cats/b.png', 'dogs/d1.png', 'dogs/d2.png', 'store/d1.png', 'store/d2.png']);
      assert.equal(inv.items[1].absPath, path.join(root, 'cats', 'alias.png'));
      assert.deepEqual(kinds(inv), [
        ['unreadable', 'cats/gone.png'],
        ['symlink-loop', 'cats/self'],
        ['symlink-loop', 'cats/up'],
        ['symlink-loop', 'cats/x.png'],
        ['symlink-loop', 'cats/y.png'],
      ]);
      assert.match(inv.problems[0].message, /^cats\/gone\.png: symbolic link points to nothing/);
      assert.match(inv.problems[2].message, /^cats\/up: symbolic link points back to a folder that contains it/);

      const noLinks = await scanDataset(root, { followSymlinks: false });
      assert.deepEqual(noLinks.classes, ['cats', 'store']);
      assert.deepEqual(paths(noLinks), ['cats/a.png', 'cats/b.png', 'store/d1.png', 'store/d2.png']);
      assert.deepEqual(noLinks.problems, []);
      assert.ok(noLinks.notes?.some((n) => /Skipped 7 symbolic links/.test(n)));
    },
  );
});

test('a symlink to the root itself from a split level is a loop, not an endless walk', async () => {
  await withTree({ 'train/cat/a.png': IMG, 'train/cat/b.png': IMG, 'train/cat/deep/root': { symlink: '../../..' } }, async (root) => {
    const inv = await scanDataset(root);
    assert.deepEqual(paths(inv), ['train/cat/a.png', 'train/cat/b.png']);
    assert.deepEqual(kinds(inv), [['symlink-loop', 'train/cat/deep/root']]);
  });
});

test('unreadable folders and files are reported (when not running as root)', async (t) => {
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    t.skip('root can read chmod 000 files; EACCES cannot be produced');
    return;
  }
  await withTree({ 'cats/a.png': IMG, 'cats/b.png': IMG, 'cats/locked/c.png': IMG, 'cats/secret.png': IMG }, async (root) => {
    fs.chmodSync(path.join(root, 'cats', 'locked'), 0o000);
    fs.chmodSync(path.join(root, 'cats', 'secret.png'), 0o000);
    try {
      const inv = await scanDataset(root);
      assert.deepEqual(paths(inv), ['cats/a.png', 'cats/b.png']);
      assert.deepEqual(kinds(inv), [
        ['unreadable', 'cats/locked'],
        ['unreadable', 'cats/secret.png'],
      ]);
      assert.match(inv.problems[0].message, /cats\/locked: folder cannot be read \(EACCES\); skipped/);
    } finally {
      fs.chmodSync(path.join(root, 'cats', 'locked'), 0o755);
    }
  });
});

test('exclude globs: by name, by folder, with ** and ?', async () => {
  const spec: TreeSpec = {
    'cats/a.png': IMG,
    'cats/b.jpg': IMG,
    'cats/tmp/c.png': IMG,
    'dogs/a.png': IMG,
    'dogs/b.jpg': IMG,
    'dogs/x/tmp/d.jpg': IMG,
    'bats/a.png': IMG,
  };
  await withTree(spec, async (root) => {
    assert.deepEqual(paths(await scanDataset(root, { exclude: ['*.png'] })), ['cats/b.jpg', 'dogs/b.jpg', 'dogs/x/tmp/d.jpg']);
    assert.deepEqual(paths(await scanDataset(root, { exclude: ['**/tmp/**'] })), ['bats/a.png', 'cats/a.png', 'cats/b.jpg', 'dogs/a.png', 'dogs/b.jpg']);
    assert.deepEqual(paths(await scanDataset(root, { exclude: ['tmp'] })), ['bats/a.png', 'cats/a.png', 'cats/b.jpg', 'dogs/a.png', 'dogs/b.jpg']);
    const noDogs = await scanDataset(root, { exclude: ['dogs/**'] });
    assert.deepEqual(noDogs.classes, ['bats', 'cats']);
    assert.ok(!noDogs.problems.some((p) => p.kind === 'empty-class'));
    assert.deepEqual(paths(await scanDataset(root, { exclude: ['?ats'] })), ['dogs/a.png', 'dogs/b.jpg', 'dogs/x/tmp/d.jpg']);
    assert.deepEqual(paths(await scanDataset(root, { exclude: ['cats/*.png', 'dogs/*/*/*'] })), [
      'bats/a.png',
      'cats/b.jpg',
      'cats/tmp/c.png',
      'dogs/a.png',
      'dogs/b.jpg',
    ]);
  });
});

test('maxImages keeps the first N in path order, records a note, and judges only untouched classes', async () => {
  const spec: TreeSpec = {};
  for (const c of ['a', 'b', 'c']) for (let i = 0; i < 100; i++) spec[`${c}/${String(i).padStart(3, '0')}.png`] = IMG;
  spec['a/000.png'] = '';
  await withTree(spec, async (root) => {
    const full = await scanDataset(root);
    assert.equal(full.items.length, 299);
    const cut = await scanDataset(root, { maxImages: 150 });
    assert.equal(cut.items.length, 150);
    assert.deepEqual(cut.items, full.items.slice(0, 150));
    assert.deepEqual(cut.classes, ['a', 'b']);
    assert.deepEqual(kinds(cut), [['zero-byte', 'a/000.png']]);
    assert.ok(cut.notes?.some((n) => /Kept the first 150 images in path order because maxImages is 150; 149 more image files were not read/.test(n)));
    assert.deepEqual(await scanDataset(root, { maxImages: 150 }), cut);
    const none = await scanDataset(root, { maxImages: 0 });
    assert.deepEqual(none.items, []);
    await assert.rejects(scanDataset(root, { maxImages: -1 }), /maxImages/);
  });
});

test('many files across many folders: every file found once, sorted, deterministic', async () => {
  const spec: TreeSpec = {};
  for (let c = 0; c < 12; c++) for (let i = 0; i < 60; i++) spec[`class${c}/${i % 3}/img${i}.png`] = IMG;
  await withTree(spec, async (root) => {
    const a = await scanDataset(root);
    assert.equal(a.items.length, 720);
    assert.equal(a.classes.length, 12);
    const sorted = paths(a).slice().sort(compareCodePoints);
    assert.deepEqual(paths(a), sorted);
    assert.equal(new Set(paths(a)).size, 720);
    assert.deepEqual(await scanDataset(root), a);
  });
});

// ----- CSV layout

const LABELS_CSV =
  '\uFEFFfilename,label,split\r\n' +
  'images/a.png,cat,train\r\n' +
  '"images/b, with comma.png",dog,valid\r\n' +
  'images/c.png,cat,test\r\n' +
  'images/a.png,dog,train\r\n' +
  'images/missing.png,dog,train\r\n' +
  '/etc/hostname.png,cat,train\r\n' +
  '../escape.png,cat,train\r\n' +
  'images/d.png\r\n' +
  'images/empty.png,bird,train\r\n' +
  'images/notes.txt,dog,train\r\n' +
  'images/e.png,dog,train\r\n';

test('CSV layout from labels.csv: BOM, CRLF, quoted commas, duplicates, missing and refused paths', async () => {
  await withTree(
    {
      'labels.csv': LABELS_CSV,
      'images/a.png': IMG,
      'images/b, with comma.png': IMG,
      'images/c.png': IMG,
      'images/d.png': IMG,
      'images/e.png': IMG,
      'images/empty.png': '',
      'images/notes.txt': 'x',
      'images/unlisted.png': IMG,
    },
    async (root) => {
      const inv = await scanDataset(root);
      assert.equal(inv.layout, 'csv');
      assert.equal(inv.csvPath, path.join(root, 'labels.csv'));
      assert.deepEqual(inv.classes, ['cat', 'dog']);
      assert.deepEqual(
        inv.items.map((i) => [i.path, i.label, i.split, i.csvLine]),
        [
          ['images/a.png', 'cat', 'train', 2],
          ['images/b, with comma.png', 'dog', 'val', 3],
          ['images/c.png', 'cat', 'test', 4],
          ['images/e.png', 'dog', 'train', 12],
        ],
      );
      assert.equal(inv.items[0].absPath, path.join(root, 'images', 'a.png'));
      assert.deepEqual(
        inv.problems.map((p) => [p.kind, p.path, p.line]),
        [
          ['duplicate-row', 'images/a.png', 5],
          ['zero-byte', 'images/empty.png', 10],
          ['missing-file', 'images/missing.png', 6],
          ['not-an-image', 'images/notes.txt', 11],
          ['empty-class', 'labels.csv', undefined],
          ['outside-root', 'labels.csv', 7],
          ['outside-root', 'labels.csv', 8],
          ['bad-csv-row', 'labels.csv', 9],
        ],
      );
      const msg = (kind: string): string => inv.problems.find((p) => p.kind === kind)?.message ?? '';
      assert.equal(msg('missing-file'), 'images/missing.png: file listed in the CSV does not exist (labels.csv line 6); skipped');
      assert.match(msg('duplicate-row'), /conflicts with 'cat' on line 2/);
      assert.match(msg('empty-class'), /class 'bird' has no usable images/);
      assert.deepEqual(await detectLayout(root), { layout: 'csv', csvPath: path.join(root, 'labels.csv'), hasSplits: true });
    },
  );
});

test('CSV layout: header-less CSV, small class, exclude applies to rows', async () => {
  await withTree(
    { 'labels.csv': 'x/1.png,cat\nx/2.png,cat\nx/3.png,dog\nskip/4.png,dog\n', 'x/1.png': IMG, 'x/2.png': IMG, 'x/3.png': IMG, 'skip/4.png': IMG },
    async (root) => {
      const inv = await scanDataset(root, { exclude: ['skip'] });
      assert.equal(inv.layout, 'csv');
      assert.deepEqual(paths(inv), ['x/1.png', 'x/2.png', 'x/3.png']);
      assert.deepEqual(kinds(inv), [['small-class', 'labels.csv']]);
      assert.ok(inv.notes?.some((n) => /1 CSV row left out by exclude/.test(n)));
    },
  );
});

test('CSV detection: one named .csv is used; a CSV that restates class folders keeps ImageFolder', async () => {
  await withTree(
    { 'meta.csv': 'image,class\na.png,cat\nb.png,dog\n', 'other.csv': 'x,y\n1,2\n', 'a.png': IMG, 'b.png': IMG },
    async (root) => {
      const inv = await scanDataset(root);
      assert.equal(inv.layout, 'csv');
      assert.equal(inv.csvPath, path.join(root, 'meta.csv'));
      assert.deepEqual(inv.items.map((i) => [i.path, i.label]), [
        ['a.png', 'cat'],
        ['b.png', 'dog'],
      ]);
    },
  );
  await withTree(
    { 'labels.csv': 'path,label\ncat/a.png,cat\ntrain/dog/b.png,dog\n', 'cat/a.png': IMG, 'cat/c.png': IMG, 'train/dog/b.png': IMG, 'train/dog/d.png': IMG },
    async (root) => {
      const inv = await scanDataset(root);
      assert.equal(inv.layout, 'imagefolder');
      assert.deepEqual(paths(inv), ['cat/a.png', 'cat/c.png', 'train/dog/b.png', 'train/dog/d.png']);
    },
  );
  // A labels.csv that is a class list (no paths) does not turn a folder dataset into a CSV one.
  await withTree({ 'labels.csv': 'id,name\n0,cat\n1,dog\n', 'cat/a.png': IMG, 'cat/b.png': IMG }, async (root) => {
    assert.equal((await scanDataset(root)).layout, 'imagefolder');
  });
});

test('explicit csv option: relative to the root, forces the CSV layout; a missing CSV throws naming it', async () => {
  await withTree(
    { 'meta/list.csv': 'path,label\n../cats/a.png,dog\n../cats/b.png,dog\n', 'cats/a.png': IMG, 'cats/b.png': IMG },
    async (root) => {
      const inv = await scanDataset(root, { csv: 'meta/list.csv' });
      assert.equal(inv.layout, 'csv');
      assert.equal(inv.csvPath, path.join(root, 'meta', 'list.csv'));
      assert.deepEqual(inv.items.map((i) => [i.path, i.label, i.csvLine]), [
        ['cats/a.png', 'dog', 2],
        ['cats/b.png', 'dog', 3],
      ]);
      assert.equal((await scanDataset(root)).layout, 'imagefolder');
      const missing = path.join(root, 'nope.csv');
      await assert.rejects(scanDataset(root, { csv: missing }), (e: Error) => e.message.includes(missing) && /does not exist/.test(e.message));
      await assert.rejects(scanDataset(root, { csv: 'meta' }), /is not a file/);
    },
  );
});

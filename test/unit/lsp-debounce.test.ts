import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Debouncer, type Timers } from '../../server/lsp/debounce';

/** Manual clock: `advance(ms)` runs due timers in order. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = ++seq;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void pending.delete(h as number),
    now: () => now,
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      pending.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
  };
  return { timers, advance };
}

test('a burst of 10,000 events (git checkout) coalesces into one call after the quiet period', () => {
  const { timers, advance } = fakeTimers();
  const calls: string[][] = [];
  const d = new Debouncer<string>((k) => calls.push([...k]), 500, 5000, timers);
  for (let i = 0; i < 10_000; i++) {
    d.push(i % 2 ? '/a' : '/b');
    if (i % 1000 === 0) advance(10);
  }
  advance(499);
  assert.equal(calls.length, 0);
  advance(1);
  assert.deepEqual(calls, [['/b', '/a']]);
  advance(10_000);
  assert.equal(calls.length, 1);
});

test('a never-ending stream still fires after maxWait', () => {
  const { timers, advance } = fakeTimers();
  let calls = 0;
  const d = new Debouncer<string>(() => calls++, 500, 2000, timers);
  for (let t = 0; t < 2100; t += 100) {
    d.push('/a');
    advance(100);
  }
  assert.equal(calls, 1);
});

test('events after a flush start a new window; dispose drops pending work', () => {
  const { timers, advance } = fakeTimers();
  let calls = 0;
  const d = new Debouncer<string>(() => calls++, 500, 5000, timers);
  d.push('/a');
  advance(600);
  d.push('/a');
  advance(600);
  assert.equal(calls, 2);
  d.push('/a');
  d.dispose();
  advance(1000);
  assert.equal(calls, 2);
});

/**
 * The "labels or model?" sentence says what the numbers say: when no other head beats the linear head it
 * must not claim a gain ("gains only 0%" read as a measured gain of zero while the kNN vote was 3 points worse).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarise } from '../../server/engine/labels/diagnosis';

test('labels lever: other heads below the linear head are named as not beating it, with their numbers', () => {
  const s = summarise({ linear: 0.709, noiseShare: 0.139, noiseInterval: [0.126, 0.184] }, 0.802, 0.604, 0.681);
  assert.match(s, /^The labels are the bigger lever: about 14% of labels look wrong \(90% interval 13%–18%\)/);
  assert.match(s, /neither a deeper head \(60%\) nor a kNN vote \(68%\) beats the linear head \(71%\)/);
  assert.doesNotMatch(s, /gains only/);
});

test('labels lever: a small real gain of another head is stated as such', () => {
  const s = summarise({ linear: 0.7, noiseShare: 0.2, noiseInterval: [0.15, 0.25] }, 0.8, 0.72, 0.65);
  assert.match(s, /a deeper head \(72%\) gains only 2% over the linear head \(70%\)/);
});

test('labels lever: without a measured deeper head only the kNN vote is named', () => {
  const s = summarise({ linear: 0.7, noiseShare: 0.2, noiseInterval: [0.15, 0.25] }, 0.8, null, 0.6);
  assert.match(s, /while a kNN vote \(60%\) does not beat the linear head \(70%\)/);
});

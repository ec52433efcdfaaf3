import { describe, expect, it } from 'vitest';
import { queueDraw } from './draw-queue';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('queueDraw', () => {
  it('draws one canvas per task, in the order they were queued', async () => {
    const drawn: string[] = [];
    const [a, b, c] = [{}, {}, {}];
    queueDraw(a, () => drawn.push('a'));
    queueDraw(b, () => drawn.push('b'));
    queueDraw(c, () => drawn.push('c'));
    expect(drawn).toEqual([]);
    await tick();
    expect(drawn).toEqual(['a']);
    await tick();
    await tick();
    expect(drawn).toEqual(['a', 'b', 'c']);
  });

  it('draws only the newest of several draws of one canvas, and none that was cancelled', async () => {
    const drawn: string[] = [];
    const [a, b] = [{}, {}];
    queueDraw(a, () => drawn.push('a1'));
    queueDraw(a, () => drawn.push('a2'));
    const cancel = queueDraw(b, () => drawn.push('b'));
    cancel();
    for (let i = 0; i < 4; i++) {
      await tick();
    }
    expect(drawn).toEqual(['a2']);
  });
});

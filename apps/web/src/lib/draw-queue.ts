// Canvas redraws, one per task. The charts of a run change together; drawn in one go they make
// one long task (a software canvas rasterizes on the main thread), drawn one by one many short
// ones, between which the page stays responsive.

const pending = new Map<object, () => void>();
let scheduled = false;

function drawNext(): void {
  scheduled = false;
  const next = pending.entries().next();
  if (next.done === true) {
    return;
  }
  const [owner, draw] = next.value;
  pending.delete(owner);
  draw();
  schedule();
}

function schedule(): void {
  if (!scheduled && pending.size > 0) {
    scheduled = true;
    setTimeout(drawNext, 0);
  }
}

/**
 * Draws `draw` in a task of its own, after the draws queued before it; a newer draw of the same
 * `owner` replaces one not drawn yet. Returns a cancel function (for an effect's cleanup).
 */
export function queueDraw(owner: object, draw: () => void): () => void {
  pending.set(owner, draw);
  schedule();
  return () => {
    if (pending.get(owner) === draw) {
      pending.delete(owner);
    }
  };
}

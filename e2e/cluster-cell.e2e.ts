// The number fields of the cluster cell: typed values go into the job, an emptied field drops its
// key (the runtime's default, shown as the placeholder, applies) and leaves the rest alone.
import { expect, test, type Page } from '@playwright/test';
import { StudioPage } from './support/studio-page.js';

interface JobShape {
  readonly transfer?: { readonly batchSize?: number; readonly lingerMs?: number };
  readonly training?: {
    readonly epochs?: number;
    readonly checkpoint?: { readonly everySteps?: number; readonly everySeconds?: number };
  };
}

function job(page: Page): Promise<JobShape> {
  return page.evaluate(
    () => (window as unknown as { __tfstream: { job: JobShape } }).__tfstream.job,
  );
}

test('sets and clears the batch size, linger and checkpoint steps of a job', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open();
  await studio.newFromTemplate('online-sensors');
  const cluster = studio.cell('cluster');
  await cluster.scrollIntoViewIfNeeded();

  const batchSize = cluster.getByTestId('batch-size');
  await expect(batchSize).toHaveValue('16');
  await batchSize.fill('');
  await expect(batchSize).toHaveValue('');
  await expect(batchSize).toHaveAttribute('placeholder', '32');
  await expect
    .poll(async () => (await job(page)).transfer)
    .toEqual({ mode: 'micro-batch', lingerMs: 100 });
  await batchSize.pressSequentially('64');
  await expect(batchSize).toHaveValue('64');
  await expect
    .poll(async () => (await job(page)).transfer)
    .toEqual({ mode: 'micro-batch', batchSize: 64, lingerMs: 100 });

  const linger = cluster.getByTestId('linger-ms');
  await linger.fill('250');
  await expect
    .poll(async () => (await job(page)).transfer)
    .toEqual({ mode: 'micro-batch', batchSize: 64, lingerMs: 250 });

  // The template checkpoints every 5 s; steps come on top, and go without taking the seconds.
  const steps = cluster.getByTestId('checkpoint-steps');
  await expect(steps).toHaveAttribute('placeholder', 'end');
  await steps.fill('100');
  await expect
    .poll(async () => (await job(page)).training?.checkpoint)
    .toEqual({ everySeconds: 5, everySteps: 100 });
  await steps.fill('');
  await expect
    .poll(async () => (await job(page)).training?.checkpoint)
    .toEqual({ everySeconds: 5 });

  // An online job trains each batch once: epochs are not its to set.
  await expect(cluster.getByTestId('epochs')).toBeDisabled();
});

// A role process started before its run (see `coordinator/role-pool.ts`): it starts TensorFlow.js
// (`initEngine()`, as every role does first; the role's own call then returns this engine), then
// waits for one assignment on stdin — the role entry, its arguments, working directory and
// environment, exactly what the coordinator would have started a process with — and becomes that
// process. When stdin ends without an assignment (the pool was disposed, or its
// owner died) it exits. It never runs more than one role.
import { pathToFileURL } from 'node:url';
import { initEngine } from '@tfstream/sdk';
import type { WarmAssignment } from '../protocol/warm-assignment.js';

/** Reads stdin to its end (the owner writes one line and closes it). */
function readAssignment(): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => (text += chunk));
    process.stdin.once('end', () => resolve(text));
    process.stdin.once('error', () => resolve(''));
  });
}

function becomeRole(assignment: WarmAssignment): void {
  for (const name of Object.keys(process.env)) {
    if (!(name in assignment.env)) {
      delete process.env[name];
    }
  }
  Object.assign(process.env, assignment.env);
  process.chdir(assignment.cwd);
  process.argv = [process.argv[0]!, assignment.entry, ...assignment.args];
}

const assignment = readAssignment();
// A failure here is the role's to report: its own initEngine() call tries again.
await initEngine().catch(() => undefined);
const text = (await assignment).trim();
if (text === '') {
  process.exit(0);
}
const parsed = JSON.parse(text) as WarmAssignment;
becomeRole(parsed);
await import(pathToFileURL(parsed.entry).href);

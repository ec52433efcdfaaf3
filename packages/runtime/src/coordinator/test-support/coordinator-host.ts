// A process that runs a coordinator, for the tests of what happens to roles when the
// coordinator's process itself goes away. It prints one JSON line with the role pids once the
// cluster runs, then does what stdin says: `exit` calls process.exit(0) without any cleanup.
// With the argument `keep-on-loss`, roles do not exit by themselves when the coordinator is lost.
import { createInterface } from 'node:readline';
import { Coordinator } from '../coordinator.js';
import { SOURCE_EXEC_ARGV, TEST_ROLE, REPO_ROOT } from './cluster.js';

const coordinator = new Coordinator({
  workers: 2,
  parameterServers: 1,
  entry: TEST_ROLE,
  execArgv: SOURCE_EXEC_ARGV,
  cwd: REPO_ROOT,
  env: {
    TEST_GRANDCHILD: '1',
    ...(process.argv[2] === 'keep-on-loss' ? { TEST_KEEP_ON_LOSS: '1' } : {}),
  },
});
const grandchildren: number[] = [];
coordinator.on((event) => {
  if (event.type === 'metric' && event.name === 'grandchild-pid') {
    grandchildren.push(event.value);
    if (grandchildren.length === 3) {
      const roles = coordinator.roles.map((role) => role.pid);
      process.stdout.write(`${JSON.stringify({ roles, grandchildren })}\n`);
    }
  }
});
await coordinator.start();
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exit') {
    process.exit(0);
  }
}

// A role process for the runtime's tests. What it does is chosen by environment variables
// (`TEST_*`) that the tests pass through `CoordinatorOptions.env`; a role matches a variable
// whose value names it as `worker/1` (any attempt) or `worker/1@2` (attempt 2 only).
import { spawn } from 'node:child_process';
import { connectRole } from '@tfstream/runtime/role';

const role = process.env.TFSTREAM_ROLE ?? '?';
const index = process.env.TFSTREAM_INDEX ?? '?';
const attempt = process.env.TFSTREAM_ATTEMPT ?? '?';

function selected(variable: string): boolean {
  const value = process.env[variable];
  if (value === undefined) {
    return false;
  }
  return value
    .split(',')
    .some((item) => item === `${role}/${index}` || item === `${role}/${index}@${attempt}`);
}

console.log(`hello from ${role} ${index} attempt ${attempt}`);
console.error(`stderr of ${role} ${index}`);

if (selected('TEST_NO_CONNECT')) {
  // Never registers: the coordinator's start timeout has to catch it.
  setInterval(() => {}, 1000);
} else {
  const handle = await connectRole({
    // Lets a test check the coordinator's own exit hook without the roles' self-defence.
    exitOnCoordinatorLoss: process.env.TEST_KEEP_ON_LOSS !== '1',
  });
  void handle.log('info', `cluster ${handle.generation} ${JSON.stringify(handle.cluster)}`);
  handle.onCluster((spec, generation) => {
    void handle.log('info', `cluster ${generation} ${JSON.stringify(spec)}`);
  });

  // Every role echoes what peers send it, saying who answered.
  handle.onPeer((connection) => {
    void (async () => {
      for await (const { message, body } of connection) {
        if (message.kind === 'data') {
          await connection.send(
            {
              kind: 'data',
              channel: 'echo',
              seq: message.seq,
              meta: { role: handle.role, index: handle.index, attempt: handle.attempt },
            },
            body,
          );
        }
      }
    })();
  });

  // `ping` from the coordinator: reach the named peer, and report its answer back.
  handle.onData(({ message }) => {
    if (message.kind !== 'data' || message.channel !== 'ping') {
      return;
    }
    const target = message.meta as { role: 'worker' | 'ps'; index: number };
    void (async () => {
      const peer = await handle.connectPeer(target.role, target.index);
      const payload = new TextEncoder().encode(`ping from ${handle.role} ${handle.index}`);
      await peer.send({ kind: 'data', channel: 'ping', seq: message.seq }, payload);
      const reply = await peer.read({ timeoutMs: 5000 });
      await peer.close();
      await handle.send({
        kind: 'data',
        channel: 'pong',
        seq: message.seq,
        meta: {
          answeredBy: reply?.message.kind === 'data' ? (reply.message.meta ?? null) : null,
          echoed: new TextDecoder().decode(reply?.body),
        },
      });
    })();
  });

  if (process.env.TEST_GRANDCHILD === '1') {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    await handle.metric('grandchild-pid', child.pid ?? 0, 0);
  }
  if (selected('TEST_CRASH')) {
    setTimeout(() => {
      throw new Error(`boom from ${role} ${index} attempt ${attempt}`);
    }, 50);
  }
  if (selected('TEST_HANG')) {
    setTimeout(() => {
      for (;;) {
        // A blocked event loop: no more heartbeats.
      }
    }, 50);
  }
  if (selected('TEST_OOM')) {
    setTimeout(() => {
      const hoard: number[][] = [];
      for (;;) {
        hoard.push(Array.from({ length: 100_000 }, (_, i) => i + hoard.length));
      }
    }, 50);
  }
  if (selected('TEST_DONE')) {
    // This role's work is done: closing the handle lets the process exit 0.
    setTimeout(() => void handle.close(), 50);
  }
}

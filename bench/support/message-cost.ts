// What one small message costs between two Node processes on this machine, as an output costs a
// worker and the coordinator: the sender is busy (it spins between sends, as a worker predicts),
// the receiver sleeps until the message wakes it and answers it. Prints the sender's time in
// socket.write() and the receiver's CPU time per message, in µs.
import { fork } from 'node:child_process';
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';

const MESSAGES = 2000;
const GAP_MS = 1;
const BYTES = 450; // an output frame of a micro-batch of 64 int32 labels, with its credit

if (process.argv[2] === 'receiver') {
  const socket = connect({ host: '127.0.0.1', port: Number(process.argv[3]) });
  socket.setNoDelay(true);
  let received = 0;
  let cpu: NodeJS.CpuUsage | undefined;
  socket.on('data', (chunk: Buffer) => {
    cpu ??= process.cpuUsage();
    received += chunk.length;
    socket.write(chunk.subarray(0, 8));
  });
  socket.on('end', () => {
    const used = process.cpuUsage(cpu);
    process.send?.({ receiverMicros: (used.user + used.system) / (received / BYTES) });
    socket.end();
  });
} else {
  const result = await new Promise<{ senderMicros: number; receiverMicros: number }>(
    (resolve, reject) => {
      let senderMicros = 0;
      const server = createServer((socket: Socket) => {
        socket.setNoDelay(true);
        socket.on('data', () => {});
        const message = Buffer.alloc(BYTES);
        let sent = 0;
        let spent = 0;
        const next = (): void => {
          if (sent === MESSAGES) {
            senderMicros = (spent * 1000) / MESSAGES;
            socket.end();
            server.close();
            return;
          }
          const until = performance.now() + GAP_MS;
          while (performance.now() < until) {
            // Busy, as a worker is while it predicts.
          }
          const started = performance.now();
          socket.write(message);
          spent += performance.now() - started;
          sent++;
          setImmediate(next);
        };
        next();
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        const child = fork(process.argv[1]!, ['receiver', String(port)], {
          execArgv: process.execArgv,
        });
        child.on('message', (message: { receiverMicros: number }) =>
          resolve({ senderMicros, receiverMicros: message.receiverMicros }),
        );
        child.on('error', reject);
      });
    },
  );
  process.stdout.write(JSON.stringify(result));
}

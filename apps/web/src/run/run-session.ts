// The run the studio shows: its store, fed by its socket through an event pump (bounded slices),
// and a version React re-renders on, bumped at a steady pace (render-pacer) however fast events
// arrive. Also the e2e hooks (window.__tfstream).
import { create } from 'zustand';
import type { StudioEvent } from '@tfstream/studio-api';
import { EventPump } from './event-pump';
import { RenderPacer } from './render-pacer';
import { RunStore } from './run-store';
import type { SocketStatus } from './run-socket';
import { RunSocket } from './run-socket';

interface RunSessionState {
  runId: string | undefined;
  store: RunStore | undefined;
  /** Bumped (at most every 200 ms, in an animation frame) when the store changed. */
  version: number;
  socketStatus: SocketStatus | 'none';
}

export const useRunSession = create<RunSessionState>(() => ({
  runId: undefined,
  store: undefined,
  version: 0,
  socketStatus: 'none',
}));

let socket: RunSocket | undefined;
let pump: EventPump | undefined;
let pacer: RenderPacer | undefined;

/** Streams a run live (and everything it stored before). Keeps the session if it is that run. */
export function openRun(runId: string): RunStore {
  const state = useRunSession.getState();
  if (state.runId === runId && state.store !== undefined && socket !== undefined) {
    return state.store;
  }
  closeRun();
  const store = new RunStore();
  useRunSession.setState({ runId, store, version: 0, socketStatus: 'connecting' });
  const render = new RenderPacer(() => {
    if (useRunSession.getState().store === store) {
      useRunSession.setState({ version: store.version });
    }
  });
  pacer = render;
  pump = new EventPump(store, { onApplied: () => render.request() });
  socket = new RunSocket(runId, pump, {
    onChange: () => render.request(),
    onStatus: (socketStatus) => {
      if (useRunSession.getState().store === store) {
        useRunSession.setState({ socketStatus });
      }
    },
  });
  return store;
}

/** Shows stored events (a shared snapshot): no socket. */
export function openSnapshot(runId: string, events: readonly StudioEvent[]): RunStore {
  closeRun();
  const store = new RunStore();
  store.apply(events);
  useRunSession.setState({ runId, store, version: store.version, socketStatus: 'ended' });
  return store;
}

export function closeRun(): void {
  socket?.close();
  socket = undefined;
  pump?.dispose();
  pump = undefined;
  pacer?.dispose();
  pacer = undefined;
  useRunSession.setState({ runId: undefined, store: undefined, version: 0, socketStatus: 'none' });
}

/** What end-to-end tests may look at and do, on `window.__tfstream`. */
export interface TestHooks {
  readonly runId: string | undefined;
  readonly store: RunStore | undefined;
  readonly lastSeq: number;
  readonly state: string | undefined;
  readonly socketStatus: string;
  readonly reconnects: number;
  readonly duplicates: number;
  readonly gaps: number;
  readonly outputRows: number;
  dropSocket(): boolean;
}

export function installTestHooks(extra: Record<string, unknown> = {}): void {
  const hooks: TestHooks = {
    get runId() {
      return useRunSession.getState().runId;
    },
    get store() {
      return useRunSession.getState().store;
    },
    get lastSeq() {
      return useRunSession.getState().store?.lastSeq ?? 0;
    },
    get state() {
      return useRunSession.getState().store?.state;
    },
    get socketStatus() {
      return useRunSession.getState().socketStatus;
    },
    get reconnects() {
      return socket?.reconnects ?? 0;
    },
    get duplicates() {
      return useRunSession.getState().store?.duplicates ?? 0;
    },
    get gaps() {
      return useRunSession.getState().store?.gaps ?? 0;
    },
    get outputRows() {
      return useRunSession.getState().store?.rows.length ?? 0;
    },
    dropSocket() {
      if (socket === undefined) {
        return false;
      }
      socket.drop();
      return true;
    },
  };
  Object.defineProperties(hooks, Object.getOwnPropertyDescriptors(extra));
  (window as unknown as { __tfstream: TestHooks }).__tfstream = hooks;
}

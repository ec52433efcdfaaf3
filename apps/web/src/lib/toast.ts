// Short messages at the bottom right ("Saved", "Link copied").
import { create } from 'zustand';

export interface Toast {
  readonly id: number;
  readonly text: string;
  readonly kind: 'info' | 'error';
}

export const useToasts = create<{ toasts: Toast[] }>(() => ({ toasts: [] }));

let next = 1;

export function toast(text: string, kind: Toast['kind'] = 'info'): void {
  const id = next++;
  useToasts.setState((s) => ({ toasts: [...s.toasts, { id, text, kind }] }));
  setTimeout(
    () => useToasts.setState((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
    kind === 'error' ? 6000 : 2600,
  );
}

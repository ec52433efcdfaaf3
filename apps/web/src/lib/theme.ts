// Light by default, dark when the system prefers it, and a toggle that remembers its choice.
import { create } from 'zustand';

export type Theme = 'light' | 'dark';

const KEY = 'tfstream:theme';

function initial(): Theme {
  const saved = localStorage.getItem(KEY);
  if (saved === 'light' || saved === 'dark') {
    return saved;
  }
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export const useTheme = create<{ theme: Theme }>(() => ({ theme: initial() }));

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = theme;
}

export function toggleTheme(): void {
  const theme = useTheme.getState().theme === 'dark' ? 'light' : 'dark';
  localStorage.setItem(KEY, theme);
  useTheme.setState({ theme });
  applyTheme(theme);
}

matchMedia('(prefers-color-scheme: dark)').addEventListener('change', (event) => {
  if (localStorage.getItem(KEY) === null) {
    const theme = event.matches ? 'dark' : 'light';
    useTheme.setState({ theme });
    applyTheme(theme);
  }
});

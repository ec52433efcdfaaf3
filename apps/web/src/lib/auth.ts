// The token: the server sets the `tfstream_token` cookie when a page is opened with `?token=`;
// the studio also sets it itself (dev server, or a token typed into the prompt), then drops
// `?token=` from the address bar as Jupyter does.
import { create } from 'zustand';
import { TOKEN_COOKIE } from '@tfstream/studio-api';

interface AuthState {
  /** Set while the token prompt is open; called with whether a token was given. */
  pending: ((given: boolean) => void) | undefined;
  error: string | undefined;
}

export const useAuth = create<AuthState>(() => ({ pending: undefined, error: undefined }));

export function setTokenCookie(token: string): void {
  document.cookie = `${TOKEN_COOKIE}=${encodeURIComponent(token)}; path=/; SameSite=Strict`;
}

export function hasTokenCookie(): boolean {
  // The server's HttpOnly cookie is invisible here; this only sees one the studio set.
  return document.cookie.split('; ').some((c) => c.startsWith(`${TOKEN_COOKIE}=`));
}

/** Takes `?token=` from the address into the cookie and out of the address bar. */
export function adoptTokenFromUrl(): void {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token !== null && token !== '') {
    setTokenCookie(token);
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
}

let waiting: Promise<boolean> | undefined;

/** Opens the token prompt (once, however many requests got 401) and resolves when it closes. */
export function requestToken(): Promise<boolean> {
  waiting ??= new Promise<boolean>((resolve) => {
    useAuth.setState({
      pending: (given) => {
        waiting = undefined;
        useAuth.setState({ pending: undefined });
        resolve(given);
      },
    });
  });
  return waiting;
}

export function submitToken(token: string): void {
  setTokenCookie(token.trim());
  useAuth.getState().pending?.(true);
}

export function cancelToken(): void {
  useAuth.getState().pending?.(false);
}

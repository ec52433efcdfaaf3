import { useState } from 'react';
import { cancelToken, submitToken, useAuth } from '../lib/auth';

/** Jupyter's login page, as a dialog: the server wants its token. */
export function TokenPrompt() {
  const pending = useAuth((s) => s.pending);
  const [token, setToken] = useState('');
  if (pending === undefined) {
    return null;
  }
  return (
    <div className="overlay" data-testid="token-prompt">
      <form
        className="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim() !== '') {
            submitToken(token);
            setToken('');
          }
        }}
      >
        <h2>Enter the server token</h2>
        <p>
          This tfstream server needs its token. It was printed when the server started, in a link
          like <code>http://host:8710/?token=…</code>.
        </p>
        <input
          className="input mono"
          style={{ width: '100%' }}
          autoFocus
          type="password"
          placeholder="token"
          value={token}
          data-testid="token-input"
          onChange={(event) => setToken(event.target.value)}
        />
        <div className="row end" style={{ marginTop: 14 }}>
          <button type="button" className="btn" onClick={cancelToken}>
            Cancel
          </button>
          <button
            type="submit"
            className="btn primary"
            data-testid="token-submit"
            disabled={token.trim() === ''}
          >
            Log in
          </button>
        </div>
      </form>
    </div>
  );
}

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { adoptTokenFromUrl } from './lib/auth';
import { applyTheme, useTheme } from './lib/theme';
import { installTestHooks } from './run/run-session';
import { useJobEditor } from './state/job-store';
import './styles.css';

adoptTokenFromUrl();
applyTheme(useTheme.getState().theme);
// End-to-end tests read the run store and drop the socket through window.__tfstream; a build
// with VITE_TFSTREAM_TEST_HOOKS=false leaves it out.
if (import.meta.env.VITE_TFSTREAM_TEST_HOOKS !== 'false') {
  installTestHooks({
    get job() {
      return useJobEditor.getState().job;
    },
    get jobId() {
      return useJobEditor.getState().jobId;
    },
    get dirty() {
      return useJobEditor.getState().dirty;
    },
  });
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

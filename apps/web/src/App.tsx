import { Suspense, lazy } from 'react';
import { Sidebar } from './components/Sidebar';
import { Toasts } from './components/Toasts';
import { TokenPrompt } from './components/TokenPrompt';
import { Empty } from './components/Feedback';
import { linkClick, matchRoute, useLocation } from './lib/router';
import { HomePage } from './pages/HomePage';
import { NewJobPage } from './pages/NewJobPage';
import { OpenLinkPage } from './pages/OpenLinkPage';

// The editor pulls in the cells; Monaco and tfjs load later still, when a code cell shows.
const JobPage = lazy(() => import('./pages/JobPage'));
const SharePage = lazy(() => import('./pages/SharePage'));

export function App() {
  const loc = useLocation();
  const route = matchRoute(loc);
  let page;
  switch (route.page) {
    case 'home':
      page = <HomePage />;
      break;
    case 'job':
      page = <JobPage jobId={route.jobId} runId={route.runId} />;
      break;
    case 'share':
      page = <SharePage shareId={route.shareId} />;
      break;
    case 'new':
      page = <NewJobPage template={route.template} />;
      break;
    case 'open':
      page = <OpenLinkPage hash={loc.hash} />;
      break;
    case 'not-found':
      page = (
        <div className="page">
          <Empty title="Nothing here">
            <span>
              <code>{loc.path}</code> is not a page of the studio.{' '}
              <a href="/" onClick={linkClick('/')}>
                Go home
              </a>
            </span>
          </Empty>
        </div>
      );
      break;
  }
  // A shared snapshot is for anyone with the link: no sidebar of the server's jobs.
  const solo = route.page === 'share';
  return (
    <div className={`app${solo ? ' solo' : ''}`}>
      {solo ? null : <Sidebar />}
      <main className="main">
        <Suspense fallback={<div className="page muted">Loading…</div>}>{page}</Suspense>
      </main>
      <TokenPrompt />
      <Toasts />
    </div>
  );
}

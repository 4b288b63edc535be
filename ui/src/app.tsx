import { useEffect, useState } from 'preact/hooks';
import { onUnauthorized, storedToken, storeToken } from './api';
import { ActivityPage } from './pages/activity-page';
import { ConfigPage } from './pages/config-page';
import { ConfigsPage } from './pages/configs-page';
import { OverviewPage } from './pages/overview-page';
import { SubscriptionsPage } from './pages/subscriptions-page';
import { SuppressionsPage } from './pages/suppressions-page';
import { ProblemView } from './components/problem-view';
import { type Route, useRoute } from './router';

const NAV: Array<{ href: string; label: string; pages: Route['page'][] }> = [
  { href: '#/', label: 'Overview', pages: ['overview'] },
  { href: '#/configs', label: 'Configurations', pages: ['configs', 'config'] },
  { href: '#/activity', label: 'Activity', pages: ['activity'] },
  { href: '#/suppressions', label: 'Suppressions', pages: ['suppressions'] },
  { href: '#/subscriptions', label: 'Subscriptions', pages: ['subscriptions'] },
];

/** Asked once, when the server first answers 401; kept for the tab's session. */
function TokenPrompt({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="card form token"
      aria-label="API token"
      onSubmit={(event) => {
        event.preventDefault();
        if (!value.trim()) return;
        storeToken(value.trim());
        onDone();
      }}
    >
      <h1>This service needs a token</h1>
      <p>Enter an API token (a read-only one shows everything; changes need a write token). It is sent as a bearer token and kept for this tab only.</p>
      <div class="field">
        <label for="token">Token</label>
        <input id="token" type="password" autocomplete="current-password" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      </div>
      <div class="actions">
        <button type="submit" class="primary">
          Continue
        </button>
      </div>
    </form>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'configs':
      return <ConfigsPage />;
    case 'config':
      return <ConfigPage id={route.id} />;
    case 'activity':
      return <ActivityPage />;
    case 'subscriptions':
      return <SubscriptionsPage />;
    case 'suppressions':
      return <SuppressionsPage />;
    case 'unknown':
      return <ProblemView problem={{ type: 'about:blank', title: 'Not found', status: 404, detail: `the dashboard has no page ${route.path}` }} />;
  }
}

export function App() {
  const route = useRoute();
  const [asking, setAsking] = useState(false);
  const [signedIn, setSignedIn] = useState(() => storedToken() !== null);
  useEffect(() => onUnauthorized(() => setAsking(true)), []);
  // Each page names itself, so that a screen reader hears where a link led.
  useEffect(() => {
    const name = NAV.find((item) => item.pages.includes(route.page))?.label ?? 'Not found';
    document.title = `${route.page === 'config' ? 'Configuration' : name} · ecr-continuous-scan`;
  }, [route]);
  return (
    <>
      <a class="skip" href="#main" onClick={(event) => (event.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">ecr-continuous-scan</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <a href={item.href} aria-current={item.pages.includes(route.page) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {signedIn ? (
          <button
            type="button"
            class="quiet"
            onClick={() => {
              storeToken(null);
              setSignedIn(false);
              setAsking(true);
            }}
          >
            Forget token
          </button>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {asking ? (
          <TokenPrompt
            onDone={() => {
              setAsking(false);
              setSignedIn(true);
            }}
          />
        ) : (
          <Page route={route} key={route.page === 'config' ? route.id : route.page} />
        )}
      </main>
    </>
  );
}

import { useEffect, useState, type FormEvent, type MouseEvent, type ReactNode } from 'react';
import { api, ApiError, enc, saveKey, savedKey, type WhoAmI } from './api.js';
import {
  DeliveryPage,
  EventsPage,
  EventTypesPage,
  OverviewPage,
  TenantsPage,
  WebhookPage,
  WebhooksPage,
} from './pages.js';
import { match, navigate, usePath } from './router.js';
import { SourcePage, SourcesPage } from './sources.js';

export interface Session {
  me: WhoAmI;
  canWrite: boolean;
  canAdmin: boolean;
  platform: boolean;
}

function toSession(me: WhoAmI): Session {
  const platform = me.kind === 'platform';
  return {
    me,
    platform,
    canWrite: platform || me.role === 'admin' || me.role === 'editor',
    canAdmin: platform || me.role === 'admin',
  };
}

export function Link(props: { to: string; children: ReactNode; className?: string }) {
  const go = (e: MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={props.to} onClick={go} className={props.className}>
      {props.children}
    </a>
  );
}

function SignIn(props: { onSignedIn: (s: Session) => void; error: string | null }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(props.error);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    saveKey(key.trim());
    try {
      props.onSignedIn(toSession(await api<WhoAmI>('GET', '/v1/me')));
    } catch (err) {
      saveKey(null);
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That api key is not valid. Check it and try again.'
          : String((err as Error).message),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>hooklane</h1>
      <form onSubmit={submit} className="card">
        <label>
          API key
          <input
            name="key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="hl_…"
            required
          />
        </label>
        <p className="hint">
          The platform admin key sees every tenant; a tenant key sees its own tenant. The key stays in this
          browser tab only.
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

export function App() {
  const path = usePath();
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(true);
  const [signInError, setSignInError] = useState<string | null>(null);

  useEffect(() => {
    // a portal link: /portal#token=hlp_…; the token never reaches the server's access log
    if (location.pathname === '/portal') {
      const token = new URLSearchParams(location.hash.slice(1)).get('token');
      if (token) saveKey(token);
      navigate('/', true);
    }
    if (savedKey() === null) {
      setChecking(false);
      return;
    }
    api<WhoAmI>('GET', '/v1/me')
      .then((me) => setSession(toSession(me)))
      .catch((err: Error) => {
        saveKey(null);
        setSignInError(err.message);
      })
      .finally(() => setChecking(false));
  }, []);

  const home = session === null ? '/' : session.platform ? '/tenants' : `/t/${enc(session.me.tenant_id!)}`;
  useEffect(() => {
    if (session !== null && (path === '/' || path === '' || path === '/portal')) navigate(home, true);
  }, [session, path, home]);

  if (checking) return <p className="loading">Loading…</p>;
  if (session === null)
    return (
      <SignIn
        error={signInError}
        onSignedIn={(s) => {
          setSession(s);
          navigate(s.platform ? '/tenants' : `/t/${enc(s.me.tenant_id!)}`, true);
        }}
      />
    );

  const signOut = () => {
    saveKey(null);
    setSession(null);
    navigate('/', true);
  };
  const tenantMatch =
    match('/t/:tenant', path) ?? match('/t/:tenant/:section', path) ?? match('/t/:tenant/:section/:id', path);
  const tenant = tenantMatch?.tenant ?? (session.platform ? null : session.me.tenant_id);

  let page: ReactNode;
  let m: Record<string, string> | null;
  if (path === '/' || path === '' || path === '/portal') page = null;
  else if (path === '/tenants' && session.platform) page = <TenantsPage session={session} />;
  else if (path === '/event-types') page = <EventTypesPage session={session} />;
  else if ((m = match('/t/:tenant', path))) page = <OverviewPage session={session} tenant={m.tenant!} />;
  else if ((m = match('/t/:tenant/webhooks', path)))
    page = <WebhooksPage session={session} tenant={m.tenant!} />;
  else if ((m = match('/t/:tenant/webhooks/:id', path)))
    page = <WebhookPage session={session} tenant={m.tenant!} id={m.id!} />;
  else if ((m = match('/t/:tenant/events', path))) page = <EventsPage session={session} tenant={m.tenant!} />;
  else if ((m = match('/t/:tenant/sources', path)))
    page = <SourcesPage session={session} tenant={m.tenant!} />;
  else if ((m = match('/t/:tenant/sources/:id', path)))
    page = <SourcePage session={session} tenant={m.tenant!} id={m.id!} />;
  else if ((m = match('/t/:tenant/deliveries/:id', path)))
    page = <DeliveryPage session={session} tenant={m.tenant!} id={m.id!} />;
  else
    page = (
      <section className="empty">
        <h2>Nothing here</h2>
        <p>
          This page does not exist. <Link to={home}>Go to the start page</Link>.
        </p>
      </section>
    );

  const who = session.platform
    ? 'platform admin'
    : `${session.me.tenant_id} · ${session.me.role}${session.me.portal ? ' (portal)' : ''}`;
  return (
    <div className="shell">
      <header>
        <Link to={home} className="brand">
          hooklane
        </Link>
        <nav>
          {session.platform && <Link to="/tenants">Tenants</Link>}
          {tenant && (
            <>
              <Link to={`/t/${enc(tenant)}`}>Overview</Link>
              <Link to={`/t/${enc(tenant)}/webhooks`}>Webhooks</Link>
              <Link to={`/t/${enc(tenant)}/events`}>Events</Link>
              <Link to={`/t/${enc(tenant)}/sources`}>Sources</Link>
            </>
          )}
          <Link to="/event-types">Event types</Link>
        </nav>
        <span className="who" data-testid="who">
          {who}
        </span>
        {!session.me.portal && (
          <button className="link" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main key={path}>{page}</main>
    </div>
  );
}

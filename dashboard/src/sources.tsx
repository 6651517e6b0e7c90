/** Inbound sources: their public URLs (with a copy button), the request log, rotating the URL. */
import { useEffect, useState, type FormEvent } from 'react';
import { api, enc, type Page } from './api.js';
import type { Session } from './App.js';
import { Link } from './App.js';

interface Source {
  id: string;
  name: string;
  url: string;
  active: boolean;
  verification: { type: string };
  created_at: string;
}

interface SourceRequest {
  id: string;
  received_at: string;
  method: string;
  status: number;
  outcome: 'accepted' | 'duplicate' | 'handshake' | 'rejected';
  reason: string | null;
  event_id: string | null;
  body_bytes: number;
}

const VERIFICATIONS = ['none', 'standard_webhooks', 'github', 'shopify', 'slack'] as const;

function Copy({ value }: { value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="copy">
      <input readOnly value={value} onFocus={(e) => e.target.select()} data-testid="source-url" />
      <button
        type="button"
        onClick={() => void navigator.clipboard?.writeText(value).then(() => setCopied(true))}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

export function SourcesPage({ session, tenant }: { session: Session; tenant: string }) {
  const base = `/v1/tenants/${enc(tenant)}/sources`;
  const [list, setList] = useState<Source[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  const [name, setName] = useState('');
  const [type, setType] = useState<(typeof VERIFICATIONS)[number]>('standard_webhooks');
  const [secret, setSecret] = useState('');
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    api<Page<Source>>('GET', `${base}?limit=250`)
      .then((p) => (setList(p.data), setError(null)))
      .catch((e: Error) => setError(e.message));
  }, [base, n]);
  const create = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const verification =
      type === 'none' || type === 'standard_webhooks' ? { type } : { type, secret: secret.trim() };
    api<Source>('POST', base, { name, verification })
      .then((s) => {
        setName('');
        setSecret('');
        setNote(`Source ${s.name} created: give its URL to the provider.`);
        setN((x) => x + 1);
      })
      .catch((err: Error) => setError(err.message));
  };
  return (
    <section>
      <h2>Inbound sources</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {list && list.length === 0 && (
        <div className="empty">
          <h3>No sources yet</h3>
          <p>
            A source is a URL a provider (Stripe, GitHub, Shopify, …) posts webhooks to; what it verifies
            becomes an event of this tenant.{' '}
            {session.canWrite ? 'Create one below.' : 'Ask an editor to create one.'}
          </p>
        </div>
      )}
      {list && list.length > 0 && (
        <ul className="list">
          {list.map((s) => (
            <li key={s.id}>
              <Link to={`/t/${enc(tenant)}/sources/${enc(s.id)}`}>
                <b>{s.name}</b>
              </Link>
              <span className="tag">{s.verification.type}</span>
              {!s.active && <span className="status failed">inactive</span>}
            </li>
          ))}
        </ul>
      )}
      {session.canWrite && (
        <form className="card inline" onSubmit={create}>
          <h3>New source</h3>
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label>
            Verification
            <select value={type} onChange={(e) => setType(e.target.value as (typeof VERIFICATIONS)[number])}>
              {VERIFICATIONS.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          {type !== 'none' && type !== 'standard_webhooks' && (
            <label>
              Signing secret
              <input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} required />
            </label>
          )}
          <button type="submit">Create source</button>
          {note && (
            <p className="note" role="status">
              {note}
            </p>
          )}
        </form>
      )}
    </section>
  );
}

export function SourcePage({ session, tenant, id }: { session: Session; tenant: string; id: string }) {
  const base = `/v1/tenants/${enc(tenant)}/sources/${enc(id)}`;
  const [source, setSource] = useState<Source | null>(null);
  const [requests, setRequests] = useState<SourceRequest[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    Promise.all([api<Source>('GET', base), api<Page<SourceRequest>>('GET', `${base}/requests?limit=100`)])
      .then(([s, r]) => {
        setSource(s);
        setRequests(r.data);
      })
      .catch((e: Error) => setError(e.message));
  }, [base, n]);
  const rotate = () => {
    if (!confirm('Give this source a new URL? The old one stops working at once.')) return;
    api<Source>('POST', `${base}/rotate-url`, { grace_period_s: 0 })
      .then((s) => {
        setSource(s);
        setNote('New URL issued: update it at the provider.');
      })
      .catch((e: Error) => setError(e.message));
  };
  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (source === null || requests === null) return <p className="loading">Loading…</p>;
  return (
    <section>
      <p className="crumbs">
        <Link to={`/t/${enc(tenant)}/sources`}>Sources</Link> /
      </p>
      <h2>{source.name}</h2>
      <p className="muted">
        verification <span className="tag">{source.verification.type}</span> · <code>{source.id}</code>
      </p>
      <Copy value={source.url} />
      <div className="actions">
        <button onClick={() => setN((x) => x + 1)}>Refresh log</button>
        {session.canWrite && <button onClick={rotate}>Rotate URL</button>}
      </div>
      {note && (
        <p className="note" role="status">
          {note}
        </p>
      )}
      <h3>Requests received</h3>
      {requests.length === 0 ? (
        <div className="empty">
          <h3>Nothing received yet</h3>
          <p>Point the provider at the URL above; every request, rejected ones too, shows up here.</p>
        </div>
      ) : (
        <table className="grid-table">
          <thead>
            <tr>
              <th>Received</th>
              <th>Outcome</th>
              <th>Answer</th>
              <th>Reason / event</th>
            </tr>
          </thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id}>
                <td>{new Date(r.received_at).toLocaleString()}</td>
                <td>
                  <span className={`status ${r.outcome === 'rejected' ? 'failed' : 'succeeded'}`}>
                    {r.outcome}
                  </span>
                </td>
                <td>
                  {r.method} → {r.status}
                </td>
                <td>{r.reason ?? (r.event_id ? <code>{r.event_id}</code> : '—')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

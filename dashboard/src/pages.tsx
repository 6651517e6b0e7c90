import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import {
  api,
  enc,
  followStream,
  type Attempt,
  type Delivery,
  type EventType,
  type HlEvent,
  type Page,
  type Stats,
  type Tenant,
  type Webhook,
} from './api.js';
import type { Session } from './App.js';
import { Link } from './App.js';
import { LineChart, StackedBars } from './charts.js';
import { navigate } from './router.js';

interface PageProps {
  session: Session;
}
interface TenantProps extends PageProps {
  tenant: string;
}

function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load()
      .then((d) => live && (setData(d), setError(null)))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return { data, error, reload: useCallback(() => setN((x) => x + 1), []) };
}

/** a counter bumped at most every `ms` while live activity arrives: charts reload on it */
function useActivity(ms = 5000) {
  const [tick, setTick] = useState(0);
  const last = useRef(0);
  const pending = useRef<number | null>(null);
  useEffect(
    () => () => {
      if (pending.current !== null) clearTimeout(pending.current);
    },
    [],
  );
  const bump = useCallback(() => {
    if (pending.current !== null) return;
    const wait = Math.max(0, last.current + ms - Date.now());
    pending.current = window.setTimeout(() => {
      pending.current = null;
      last.current = Date.now();
      setTick((t) => t + 1);
    }, wait);
  }, [ms]);
  return [tick, bump] as const;
}

/** runs an action, showing its error (in words) or a success note */
function useAction() {
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (fn: () => Promise<string | void>) => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      const msg = await fn();
      if (msg) setNote(msg);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const view = (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {note && (
        <p className="note" role="status">
          {note}
        </p>
      )}
    </>
  );
  return { run, busy, view };
}

function ErrorBox({ error }: { error: string | null }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

function Empty({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      <p>{children}</p>
    </div>
  );
}

const time = (iso: string | null) => (iso === null ? '—' : new Date(iso).toLocaleString());
const tpath = (tenant: string, rest = '') => `/t/${enc(tenant)}${rest}`;

function Status({ s }: { s: string }) {
  return <span className={`status ${s}`}>{s}</span>;
}

// ───────────────────────────── tenants ─────────────────────────────

export function TenantsPage(_: PageProps) {
  const { data, error, reload } = useLoad(() => api<Page<Tenant>>('GET', '/v1/tenants?limit=250'), []);
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const act = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const t = await api<Tenant>('POST', '/v1/tenants', { ...(id ? { id } : {}), name });
      setId('');
      setName('');
      reload();
      return `Tenant ${t.id} created.`;
    });
  };
  return (
    <section>
      <h2>Tenants</h2>
      <ErrorBox error={error} />
      {data && data.data.length === 0 && (
        <Empty title="No tenants yet">
          A tenant is one of your customers. Create the first one below, then give it webhooks.
        </Empty>
      )}
      {data && data.data.length > 0 && (
        <ul className="list">
          {data.data.map((t) => (
            <li key={t.id}>
              <Link to={tpath(t.id)}>
                <b>{t.name}</b> <code>{t.id}</code>
              </Link>
              <span className="muted">{time(t.created_at)}</span>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={create} className="card inline">
        <h3>New tenant</h3>
        <label>
          Name
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Id (optional)
          <input
            name="id"
            value={id}
            onChange={(e) => setId(e.target.value)}
            pattern="[a-zA-Z0-9_\-]{1,64}"
          />
        </label>
        <button type="submit" disabled={act.busy}>
          Create tenant
        </button>
        {act.view}
      </form>
    </section>
  );
}

// ───────────────────────────── overview ─────────────────────────────

function bucketLabel(iso: string, bucketS: number): string {
  const d = new Date(iso);
  if (bucketS >= 86_400 / 4)
    return `${d.getMonth() + 1}/${d.getDate()} ${String(d.getHours()).padStart(2, '0')}h`;
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function StatsCharts({
  tenant,
  webhookId,
  refresh,
}: {
  tenant: string;
  webhookId?: string;
  refresh?: number;
}) {
  const [window, setWindow] = useState<'1h' | '24h' | '7d'>('24h');
  const path = webhookId
    ? `/v1/tenants/${enc(tenant)}/webhooks/${enc(webhookId)}/stats?window=${window}`
    : `/v1/tenants/${enc(tenant)}/stats?window=${window}`;
  const { data, error } = useLoad(() => api<Stats>('GET', path), [path, refresh]);
  const labels = data?.buckets.map((b) => bucketLabel(b.start, data.bucket_s)) ?? [];
  const t = data?.total;
  return (
    <div className="stats">
      <div className="toolbar">
        <h3>Delivery health</h3>
        <div className="seg" role="group" aria-label="window">
          {(['1h', '24h', '7d'] as const).map((w) => (
            <button key={w} className={w === window ? 'on' : ''} onClick={() => setWindow(w)}>
              {w}
            </button>
          ))}
        </div>
      </div>
      <ErrorBox error={error} />
      {t && (
        <div className="tiles">
          <div>
            <b>{t.events}</b>
            <span>events</span>
          </div>
          <div>
            <b>{t.success_rate === null ? '—' : `${(t.success_rate * 100).toFixed(1)}%`}</b>
            <span>success rate</span>
          </div>
          <div>
            <b>{t.deliveries.failed}</b>
            <span>failed</span>
          </div>
          <div>
            <b>{t.deliveries.pending}</b>
            <span>pending</span>
          </div>
          <div>
            <b>{t.latency_ms.p95 === null ? '—' : `${t.latency_ms.p95} ms`}</b>
            <span>p95 latency</span>
          </div>
        </div>
      )}
      {data && (
        <div className="charts">
          <StackedBars
            title="Volume (deliveries)"
            labels={labels}
            series={[
              {
                name: 'succeeded',
                color: '#2e9e5b',
                values: data.buckets.map((b) => b.deliveries.succeeded),
              },
              { name: 'failed', color: '#d64545', values: data.buckets.map((b) => b.deliveries.failed) },
              { name: 'pending', color: '#d9a531', values: data.buckets.map((b) => b.deliveries.pending) },
            ]}
          />
          <LineChart
            title="Success rate"
            labels={labels}
            max={1}
            format={(v) => `${Math.round(v * 100)}%`}
            series={[
              { name: 'success rate', color: '#2e9e5b', values: data.buckets.map((b) => b.success_rate) },
            ]}
          />
          <LineChart
            title="Attempt latency (ms)"
            labels={labels}
            series={[
              { name: 'p50', color: '#3b6fd4', values: data.buckets.map((b) => b.latency_ms.p50) },
              { name: 'p95', color: '#9050c8', values: data.buckets.map((b) => b.latency_ms.p95) },
              { name: 'p99', color: '#d64545', values: data.buckets.map((b) => b.latency_ms.p99) },
            ]}
          />
          <div className="errors-table">
            <h4>Failed attempts by cause</h4>
            <table>
              <tbody>
                {Object.entries(data.total.errors).map(([k, v]) => (
                  <tr key={k}>
                    <th>{k}</th>
                    <td>{v}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </div>
  );
}

/** the newest deliveries, updated live from the stream */
function DeliveryFeed({
  tenant,
  webhookId,
  eventId,
  onActivity,
}: {
  tenant: string;
  webhookId?: string;
  eventId?: string;
  onActivity?: () => void;
}) {
  const activity = useRef(onActivity);
  activity.current = onActivity;
  const [items, setItems] = useState<Delivery[]>([]);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctrl = new AbortController();
    const q = new URLSearchParams({ limit: '25' });
    if (webhookId) q.set('webhook_id', webhookId);
    if (eventId) q.set('event_id', eventId);
    api<Page<Delivery>>('GET', `/v1/tenants/${enc(tenant)}/deliveries?${q}`)
      .then((p) => setItems(p.data))
      .catch((e: Error) => setError(e.message));
    void followStream(
      tenant,
      (f) => {
        if (f.event !== 'delivery') return;
        const d = f.data;
        if ((webhookId && d.webhook_id !== webhookId) || (eventId && d.event_id !== eventId)) return;
        activity.current?.();
        setItems((cur) => {
          const rest = cur.filter((x) => x.id !== d.id);
          const had = rest.length !== cur.length;
          const next = had ? cur.map((x) => (x.id === d.id ? d : x)) : [d, ...cur];
          return next.slice(0, 50);
        });
      },
      setLive,
      ctrl.signal,
    );
    return () => ctrl.abort();
  }, [tenant, webhookId, eventId]);
  return (
    <div className="feed">
      <div className="toolbar">
        <h3>Deliveries</h3>
        <span className={`live ${live ? 'on' : ''}`} data-testid="live">
          {live ? 'live' : 'connecting…'}
        </span>
      </div>
      <ErrorBox error={error} />
      {items.length === 0 ? (
        <Empty title="No deliveries yet">
          Deliveries appear here, live, as events are sent to webhooks. Send a test event from a webhook’s
          page.
        </Empty>
      ) : (
        <table className="grid-table" data-testid="deliveries">
          <thead>
            <tr>
              <th>Status</th>
              <th>Event type</th>
              <th>Attempts</th>
              <th>Last answer</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-status={d.status}>
                <td>
                  <Link to={tpath(tenant, `/deliveries/${enc(d.id)}`)}>
                    <Status s={d.status} />
                  </Link>
                </td>
                <td>{d.event_type}</td>
                <td>{d.attempt_count}</td>
                <td>{d.last_status_code ?? d.last_error ?? '—'}</td>
                <td>{time(d.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function PortalLinkBox({ tenant }: { tenant: string }) {
  const [role, setRole] = useState<'editor' | 'viewer'>('editor');
  const [hours, setHours] = useState(1);
  const [url, setUrl] = useState<string | null>(null);
  const act = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const r = await api<{ url: string; expires_at: string }>(
        'POST',
        `/v1/tenants/${enc(tenant)}/portal-links`,
        {
          role,
          expires_in_s: Math.round(hours * 3600),
        },
      );
      // the link opens this dashboard; use the address it is being served from
      const u = new URL(r.url);
      setUrl(`${location.origin}${u.pathname}${u.hash}`);
      return `Valid until ${time(r.expires_at)}.`;
    });
  };
  return (
    <form onSubmit={create} className="card inline">
      <h3>Portal link</h3>
      <p className="hint">
        A signed link that opens this dashboard for this tenant only, without an api key.
      </p>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as 'editor' | 'viewer')}>
          <option value="editor">editor</option>
          <option value="viewer">viewer</option>
        </select>
      </label>
      <label>
        Valid for (hours)
        <input
          type="number"
          min={0.1}
          max={168}
          step={0.1}
          value={hours}
          onChange={(e) => setHours(Number(e.target.value))}
        />
      </label>
      <button type="submit" disabled={act.busy}>
        Create link
      </button>
      {act.view}
      {url && <CopyField value={url} testId="portal-url" />}
    </form>
  );
}

function CopyField({ value, testId }: { value: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="copy">
      <input readOnly value={value} data-testid={testId} onFocus={(e) => e.target.select()} />
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(value).then(() => setCopied(true));
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

export function OverviewPage({ session, tenant }: TenantProps) {
  const [tick, bump] = useActivity();
  const hooks = useLoad(
    () => api<Page<Webhook>>('GET', `/v1/tenants/${enc(tenant)}/webhooks?limit=1`),
    [tenant],
  );
  return (
    <section>
      <h2>{tenant}</h2>
      <ErrorBox error={hooks.error} />
      {hooks.data && hooks.data.data.length === 0 && (
        <Empty title="No webhooks yet">
          This tenant has no webhooks, so events go nowhere.{' '}
          {session.canWrite ? (
            <Link to={tpath(tenant, '/webhooks')}>Create a webhook</Link>
          ) : (
            'Ask an editor to add one.'
          )}
        </Empty>
      )}
      <StatsCharts tenant={tenant} refresh={tick} />
      <DeliveryFeed tenant={tenant} onActivity={bump} />
      {session.canAdmin && !session.me.portal && <PortalLinkBox tenant={tenant} />}
    </section>
  );
}

// ───────────────────────────── webhooks ─────────────────────────────

const splitEvents = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export function WebhooksPage({ session, tenant }: TenantProps) {
  const { data, error, reload } = useLoad(
    () => api<Page<Webhook>>('GET', `/v1/tenants/${enc(tenant)}/webhooks?limit=250`),
    [tenant],
  );
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('*');
  const [description, setDescription] = useState('');
  const act = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const w = await api<Webhook>('POST', `/v1/tenants/${enc(tenant)}/webhooks`, {
        url,
        events: splitEvents(events),
        description,
      });
      reload();
      navigate(tpath(tenant, `/webhooks/${enc(w.id)}`));
    });
  };
  return (
    <section>
      <h2>Webhooks</h2>
      <ErrorBox error={error} />
      {data && data.data.length === 0 && (
        <Empty title="No webhooks yet">
          A webhook sends this tenant’s events to a URL.{' '}
          {session.canWrite ? 'Add the first one below.' : 'Ask an editor to add one.'}
        </Empty>
      )}
      {data && data.data.length > 0 && (
        <ul className="list" data-testid="webhooks">
          {data.data.map((w) => (
            <li key={w.id}>
              <Link to={tpath(tenant, `/webhooks/${enc(w.id)}`)}>
                <b>{w.url}</b>
              </Link>
              <span className="muted">{w.events.join(', ')}</span>
              {!w.active ? <Status s="disabled" /> : w.paused ? <Status s="paused" /> : <Status s="active" />}
            </li>
          ))}
        </ul>
      )}
      {session.canWrite && (
        <form onSubmit={create} className="card inline" data-testid="new-webhook">
          <h3>New webhook</h3>
          <label>
            URL
            <input
              name="url"
              type="url"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              placeholder="https://…"
              required
            />
          </label>
          <label>
            Event types
            <input name="events" value={events} onChange={(e) => setEvents(e.target.value)} />
            <small>comma separated; “*” is every type, “user.*” a prefix</small>
          </label>
          <label>
            Description
            <input name="description" value={description} onChange={(e) => setDescription(e.target.value)} />
          </label>
          <button type="submit" disabled={act.busy}>
            Create webhook
          </button>
          {act.view}
        </form>
      )}
    </section>
  );
}

export function WebhookPage({ session, tenant, id }: TenantProps & { id: string }) {
  const base = `/v1/tenants/${enc(tenant)}/webhooks/${enc(id)}`;
  const { data: w, error, reload } = useLoad(() => api<Webhook>('GET', base), [base]);
  const [secret, setSecret] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState({ url: '', events: '', description: '' });
  const [since, setSince] = useState(() => new Date(Date.now() - 86_400_000).toISOString().slice(0, 16));
  const act = useAction();
  const [tick, bump] = useActivity();
  if (error) return <ErrorBox error={error} />;
  if (w === null) return <p className="loading">Loading…</p>;
  const save = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await api('PATCH', base, {
        url: form.url,
        events: splitEvents(form.events),
        description: form.description,
      });
      setEditing(false);
      reload();
      return 'Saved.';
    });
  };
  return (
    <section>
      <p className="crumbs">
        <Link to={tpath(tenant, '/webhooks')}>Webhooks</Link> /
      </p>
      <h2 className="url">{w.url}</h2>
      <p>
        {!w.active ? (
          <>
            <Status s="disabled" /> {w.disabled_reason ?? 'disabled'}
          </>
        ) : w.paused ? (
          <>
            <Status s="paused" /> deliveries are kept and sent when resumed
          </>
        ) : (
          <Status s="active" />
        )}{' '}
        <span className="muted">
          {w.events.join(', ')} · <code>{w.id}</code>
        </span>
      </p>
      {w.description && <p>{w.description}</p>}
      {session.canWrite && (
        <div className="actions">
          <button
            onClick={() =>
              void act.run(async () => {
                await api('PATCH', base, { paused: !w.paused });
                reload();
                return w.paused
                  ? 'Resumed: the backlog drains now.'
                  : 'Paused: nothing is sent until you resume.';
              })
            }
          >
            {w.paused ? 'Resume' : 'Pause'}
          </button>
          {!w.active && (
            <button
              onClick={() =>
                void act.run(async () => {
                  await api('PATCH', base, { active: true });
                  reload();
                  return 'Enabled again.';
                })
              }
            >
              Enable
            </button>
          )}
          <button
            onClick={() =>
              void act.run(async () => {
                const ev = await api<{ id: string }>('POST', `${base}/test`, {});
                return `Test event ${ev.id} sent.`;
              })
            }
          >
            Send test event
          </button>
          <button
            onClick={() => {
              setForm({ url: w.url, events: w.events.join(', '), description: w.description });
              setEditing(!editing);
            }}
          >
            Edit
          </button>
          <button
            onClick={() =>
              void act.run(async () => {
                setSecret((await api<{ secret: string }>('GET', `${base}/secret`)).secret);
              })
            }
          >
            Reveal secret
          </button>
          <button
            onClick={() =>
              void act.run(async () => {
                if (!confirm('Rotate the signing secret? The old one keeps signing for 24 hours.')) return;
                setSecret((await api<{ secret: string }>('POST', `${base}/secret/rotate`, {})).secret);
                return 'Secret rotated; the old one stays valid for 24 hours.';
              })
            }
          >
            Rotate secret
          </button>
        </div>
      )}
      {act.view}
      {secret && <CopyField value={secret} testId="secret" />}
      {editing && (
        <form onSubmit={save} className="card inline">
          <label>
            URL
            <input
              type="url"
              value={form.url}
              onChange={(e) => setForm({ ...form, url: e.target.value })}
              required
            />
          </label>
          <label>
            Event types
            <input value={form.events} onChange={(e) => setForm({ ...form, events: e.target.value })} />
          </label>
          <label>
            Description
            <input
              value={form.description}
              onChange={(e) => setForm({ ...form, description: e.target.value })}
            />
          </label>
          <button type="submit" disabled={act.busy}>
            Save
          </button>
        </form>
      )}
      {session.canWrite && (
        <form
          className="card inline"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run(async () => {
              const r = await api<{ deliveries: number }>('POST', `${base}/recover`, {
                since: new Date(since).toISOString(),
              });
              return r.deliveries === 0
                ? 'No failed deliveries in that time: nothing to recover.'
                : `${r.deliveries} failed deliveries will be sent again.`;
            });
          }}
        >
          <h3>Recover failed deliveries</h3>
          <label>
            Failed since
            <input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} required />
          </label>
          <button type="submit" disabled={act.busy}>
            Recover
          </button>
        </form>
      )}
      <StatsCharts tenant={tenant} webhookId={id} refresh={tick} />
      <DeliveryFeed tenant={tenant} webhookId={id} onActivity={bump} />
    </section>
  );
}

// ───────────────────────────── events ─────────────────────────────

export function EventsPage({ session, tenant }: TenantProps) {
  const [q, setQ] = useState({ id: '', type: '', since: '', until: '' });
  const [applied, setApplied] = useState(q);
  const { data, error } = useLoad(async (): Promise<HlEvent[]> => {
    if (applied.id) {
      try {
        return [await api<HlEvent>('GET', `/v1/tenants/${enc(tenant)}/events/${enc(applied.id)}`)];
      } catch (e) {
        if ((e as { status?: number }).status === 404) return [];
        throw e;
      }
    }
    const p = new URLSearchParams({ limit: '50' });
    if (applied.type) p.set('type', applied.type);
    if (applied.since) p.set('since', new Date(applied.since).toISOString());
    if (applied.until) p.set('until', new Date(applied.until).toISOString());
    return (await api<Page<HlEvent>>('GET', `/v1/tenants/${enc(tenant)}/events?${p}`)).data;
  }, [tenant, applied]);
  const [open, setOpen] = useState<string | null>(null);
  const act = useAction();
  const [type, setType] = useState('');
  const [payload, setPayload] = useState('{}');
  return (
    <section>
      <h2>Events</h2>
      <form
        className="card inline search"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(q);
        }}
      >
        <label>
          Id
          <input name="id" value={q.id} onChange={(e) => setQ({ ...q, id: e.target.value })} />
        </label>
        <label>
          Type
          <input
            name="type"
            value={q.type}
            onChange={(e) => setQ({ ...q, type: e.target.value })}
            placeholder="user.created"
          />
        </label>
        <label>
          Since
          <input
            type="datetime-local"
            value={q.since}
            onChange={(e) => setQ({ ...q, since: e.target.value })}
          />
        </label>
        <label>
          Until
          <input
            type="datetime-local"
            value={q.until}
            onChange={(e) => setQ({ ...q, until: e.target.value })}
          />
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorBox error={error} />
      {data && data.length === 0 && (
        <Empty title="No events found">
          {applied.id || applied.type || applied.since || applied.until
            ? 'Nothing matches this search; widen it.'
            : 'Events sent to this tenant (POST /v1/tenants/{tenant}/events) appear here.'}
        </Empty>
      )}
      {data && data.length > 0 && (
        <ul className="list events">
          {data.map((e) => (
            <li key={e.id}>
              <button className="link" onClick={() => setOpen(open === e.id ? null : e.id)}>
                <b>{e.type}</b> <code>{e.id}</code>
              </button>
              <span className="muted">{time(e.created_at)}</span>
              {open === e.id && (
                <div className="detail">
                  <pre>{JSON.stringify(e.data, null, 2)}</pre>
                  <DeliveryFeed tenant={tenant} eventId={e.id} />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {session.canWrite && (
        <form
          className="card inline"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run(async () => {
              let data: unknown;
              try {
                data = JSON.parse(payload);
              } catch {
                throw new Error('The data is not valid JSON.');
              }
              const r = await api<{ id: string; deliveries: number }>(
                'POST',
                `/v1/tenants/${enc(tenant)}/events`,
                {
                  type,
                  data,
                },
              );
              setApplied({ ...applied });
              return `Event ${r.id} accepted: ${r.deliveries} deliveries.`;
            });
          }}
        >
          <h3>Send an event</h3>
          <label>
            Type
            <input
              value={type}
              onChange={(e) => setType(e.target.value)}
              required
              placeholder="user.created"
            />
          </label>
          <label>
            Data (JSON)
            <textarea value={payload} onChange={(e) => setPayload(e.target.value)} rows={3} />
          </label>
          <button type="submit" disabled={act.busy}>
            Send
          </button>
          {act.view}
        </form>
      )}
    </section>
  );
}

// ───────────────────────────── a delivery ─────────────────────────────

export function DeliveryPage({ session, tenant, id }: TenantProps & { id: string }) {
  const path = `/v1/tenants/${enc(tenant)}/deliveries/${enc(id)}`;
  const {
    data: d,
    error,
    reload,
  } = useLoad(() => api<Delivery & { attempts: Attempt[] }>('GET', path), [path]);
  const act = useAction();
  useEffect(() => {
    // follow it while it is open
    const ctrl = new AbortController();
    void followStream(
      tenant,
      (f) => {
        if (f.event === 'delivery' && f.data.id === id) reload();
      },
      () => {},
      ctrl.signal,
    );
    return () => ctrl.abort();
  }, [tenant, id, reload]);
  if (error) return <ErrorBox error={error} />;
  if (d === null) return <p className="loading">Loading…</p>;
  return (
    <section>
      <p className="crumbs">
        <Link to={tpath(tenant, `/webhooks/${enc(d.webhook_id)}`)}>Webhook</Link> / delivery
      </p>
      <h2>
        <Status s={d.status} /> {d.event_type}
      </h2>
      <p className="muted">
        <code>{d.id}</code> · event <code>{d.event_id}</code> · created {time(d.created_at)}
        {d.next_attempt_at && <> · next attempt {time(d.next_attempt_at)}</>}
      </p>
      {session.canWrite && d.status !== 'delivering' && (
        <button
          data-testid="retry"
          onClick={() =>
            void act.run(async () => {
              await api('POST', `${path}/retry`);
              reload();
              return 'Queued for another attempt now.';
            })
          }
        >
          Retry now
        </button>
      )}
      {act.view}
      <h3>Attempts</h3>
      {d.attempts.length === 0 ? (
        <Empty title="No attempts yet">
          The first attempt is made as soon as a worker picks the delivery up.
        </Empty>
      ) : (
        <ol className="attempts" data-testid="attempts">
          {d.attempts.map((a) => (
            <li key={a.id} className={a.succeeded ? 'ok' : 'bad'}>
              <div className="row">
                <b>#{a.attempt_number}</b>
                <span>
                  {a.response_status !== null ? `HTTP ${a.response_status}` : (a.error ?? 'no answer')}
                </span>
                {a.error_class && <span className="tag">{a.error_class}</span>}
                <span>{a.duration_ms} ms</span>
                <span className="muted">{time(a.started_at)}</span>
              </div>
              <details>
                <summary>Request headers</summary>
                <table>
                  <tbody>
                    {Object.entries(a.request_headers).map(([k, v]) => (
                      <tr key={k}>
                        <th>{k}</th>
                        <td>{v}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </details>
              {a.response_body !== null && a.response_body !== '' && (
                <details open>
                  <summary>Response body (excerpt)</summary>
                  <pre>{a.response_body}</pre>
                </details>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

// ───────────────────────────── event types ─────────────────────────────

export function EventTypesPage({ session }: PageProps) {
  const { data, error, reload } = useLoad(
    () => api<{ data: EventType[] }>('GET', '/v1/event-types?limit=250'),
    [],
  );
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const act = useAction();
  return (
    <section>
      <h2>Event types</h2>
      <ErrorBox error={error} />
      {data && data.data.length === 0 && (
        <Empty title="No event types registered">
          Events of any type are accepted; registering a type documents it and can enforce a JSON Schema on
          its data.
        </Empty>
      )}
      {data && data.data.length > 0 && (
        <ul className="list">
          {data.data.map((t) => (
            <li key={t.name}>
              <b>{t.name}</b>
              <span className="muted">{t.description || 'no description'}</span>
              {t.schema !== null && <span className="tag">schema</span>}
            </li>
          ))}
        </ul>
      )}
      {session.platform && (
        <form
          className="card inline"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run(async () => {
              await api('PUT', `/v1/event-types/${enc(name)}`, { description });
              reload();
              return `Event type ${name} saved.`;
            });
          }}
        >
          <h3>Register an event type</h3>
          <label>
            Name
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              placeholder="invoice.paid"
            />
          </label>
          <label>
            Description
            <input value={description} onChange={(e) => setDescription(e.target.value)} />
          </label>
          <button type="submit" disabled={act.busy}>
            Save
          </button>
          {act.view}
        </form>
      )}
    </section>
  );
}
